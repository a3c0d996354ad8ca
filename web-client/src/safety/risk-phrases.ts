// A labelled set of messages for the risk detector, English and German, each with the level a careful
// human reader would give it under the default thresholds. Written for this project (no real
// conversations). `kind` says what the phrase tests, so the test can hold each kind to its own rule:
// idioms and neutral talk never above 'elevated', negations never above 'elevated', reports and
// hypotheticals flagged but no higher than 'elevated', risk statements never 'none'.
import type { RiskLevel } from './risk-detector.ts';

export type PhraseKind = 'risk' | 'negation' | 'reported' | 'hypothetical' | 'past' | 'idiom' | 'neutral';

export interface LabelledPhrase {
  text: string;
  lang: 'en' | 'de';
  kind: PhraseKind;
  expected: RiskLevel;
}

const p = (lang: 'en' | 'de', kind: PhraseKind, expected: RiskLevel, text: string): LabelledPhrase => ({ text, lang, kind, expected });

export const RISK_PHRASES: readonly LabelledPhrase[] = [
  // ---- English: critical (ideation or self-harm with plan, means or timeline; overdose in progress)
  p('en', 'risk', 'critical', "I'm going to kill myself tonight."),
  p('en', 'risk', 'critical', 'I want to die and I have the pills ready'),
  p('en', 'risk', 'critical', 'i have a plan to end my life this weekend'),
  p('en', 'risk', 'critical', 'I took all my pills, I feel dizzy'),
  p('en', 'risk', 'critical', 'I wrote my goodbye letter. I want to die.'),
  p('en', 'risk', 'critical', "I'm going to jump off the bridge after school, I don't want to live anymore"),
  p('en', 'risk', 'critical', 'i swallowed 30 tablets'),
  p('en', 'risk', 'critical', "I cut too deep and it won't stop bleeding"),
  p('en', 'risk', 'critical', 'kms tonight, i mean it'),
  p('en', 'risk', 'critical', 'I WANT TO DIEEEE... the rope is in my room'),
  // ---- English: high
  p('en', 'risk', 'high', 'I want to die'),
  p('en', 'risk', 'high', 'sometimes i think about killing myself'),
  p('en', 'risk', 'high', "I don't want to live anymore"),
  p('en', 'risk', 'high', 'Everyone would be better off without me.'),
  p('en', 'risk', 'high', 'I cut myself again last night'),
  p('en', 'risk', 'high', "I've been hurting myself"),
  p('en', 'risk', 'high', 'I feel suicidal'),
  p('en', 'risk', 'high', 'I wish I was dead'),
  p('en', 'risk', 'high', 'My stepdad hits me when he is drunk'),
  p('en', 'risk', 'high', 'my uncle touched me inappropriately'),
  p('en', 'risk', 'high', "I'm scared to go home"),
  p('en', 'risk', 'high', "I can't stop thinking about killing myself"),
  p('en', 'risk', 'high', 'I hope I never wake up tomorrow'),
  p('en', 'risk', 'high', 'There is no reason to live'),
  p('en', 'risk', 'high', 'I told my mum I want to die and she laughed'),
  p('en', 'risk', 'high', 'Would anyone care if I killed myself?'),
  p('en', 'risk', 'high', "it's hopeless. goodbye everyone."),
  p('en', 'risk', 'high', 'I was raped at a party'),
  // ---- English: elevated
  p('en', 'risk', 'elevated', "I can't take it anymore"),
  p('en', 'risk', 'elevated', "Everything feels hopeless"),
  p('en', 'risk', 'elevated', "I'm a burden to everyone"),
  p('en', 'risk', 'elevated', 'nobody would even notice if I was gone'),
  p('en', 'risk', 'elevated', 'I just want to disappear'),
  p('en', 'reported', 'elevated', "My friend said 'I want to die'"),
  p('en', 'reported', 'elevated', "I'm worried my friend wants to kill herself"),
  p('en', 'reported', 'elevated', 'She told me she cuts herself'),
  p('en', 'reported', 'elevated', 'my friend told me her dad beats her'),
  p('en', 'reported', 'elevated', 'The song goes "I want to die"'),
  p('en', 'hypothetical', 'elevated', 'What if I just killed myself, would anything change?'),
  p('en', 'hypothetical', 'elevated', 'In the movie the main character wants to die'),
  p('en', 'past', 'elevated', 'I used to cut myself but I stopped two years ago'),
  p('en', 'past', 'elevated', 'When I was 13 I wanted to die'),
  // ---- English: negations (none)
  p('en', 'negation', 'none', "I'm not going to hurt myself, don't worry"),
  p('en', 'negation', 'none', "I would never kill myself"),
  p('en', 'negation', 'none', "I'm not suicidal, just tired"),
  p('en', 'negation', 'none', "I don't want to die, I want things to get better"),
  p('en', 'negation', 'none', 'I never said I wanted to die'),
  p('en', 'negation', 'none', "I'm not thinking about killing myself"),
  // ---- English: idioms and neutral talk (none)
  p('en', 'idiom', 'none', 'This homework is killing me'),
  p('en', 'idiom', 'none', "I'm dying of laughter"),
  p('en', 'idiom', 'none', 'lol I almost died laughing'),
  p('en', 'idiom', 'none', 'I wanted to die of embarrassment when the teacher read it out'),
  p('en', 'idiom', 'none', "I'm dying to see that film"),
  p('en', 'idiom', 'none', 'You killed it in the presentation!'),
  p('en', 'idiom', 'none', "I'm bored to death in maths"),
  p('en', 'idiom', 'none', "I'd rather die than wear that jumper"),
  p('en', 'idiom', 'none', 'I cut myself shaving this morning'),
  p('en', 'idiom', 'none', 'I hurt myself playing football'),
  p('en', 'idiom', 'none', 'I ran 5 kms today'),
  p('en', 'idiom', 'none', 'hit me up after school'),
  p('en', 'idiom', 'none', 'my phone is dead, sooo annoying'),
  p('en', 'neutral', 'none', 'We are writing an essay about suicide prevention'),
  p('en', 'neutral', 'none', 'I have a plan for the party this weekend'),
  p('en', 'neutral', 'none', 'Can you help me with my chemistry revision?'),
  p('en', 'neutral', 'none', 'I took my allergy pills this morning'),

  // ---- German: critical
  p('de', 'risk', 'critical', 'Ich bringe mich heute Nacht um.'),
  p('de', 'risk', 'critical', 'Ich will sterben und habe schon Tabletten gesammelt'),
  p('de', 'risk', 'critical', 'Ich habe 40 Tabletten genommen'),
  p('de', 'risk', 'critical', 'Ich werde mich morgen umbringen'),
  p('de', 'risk', 'critical', 'Mein Abschiedsbrief ist fertig, ich will nicht mehr leben.'),
  p('de', 'risk', 'critical', 'ich will von der brücke springen, ich will sterben'),
  p('de', 'risk', 'critical', 'Ich blute sehr stark und es hört nicht auf zu bluten'),
  // ---- German: high
  p('de', 'risk', 'high', 'Ich will sterben'),
  p('de', 'risk', 'high', 'ich möchte mich umbringen'),
  p('de', 'risk', 'high', 'Ich will nicht mehr leben'),
  p('de', 'risk', 'high', 'Ich habe Selbstmordgedanken'),
  p('de', 'risk', 'high', 'Ich ritze mich wieder'),
  p('de', 'risk', 'high', 'ich habe mich gestern wieder geritzt'),
  p('de', 'risk', 'high', 'Alle wären besser dran ohne mich'),
  p('de', 'risk', 'high', 'Mein Vater schlägt mich'),
  p('de', 'risk', 'high', 'Mein Onkel hat mich angefasst'),
  p('de', 'risk', 'high', 'Ich wäre lieber tot'),
  p('de', 'risk', 'high', 'Ich verletze mich selbst'),
  p('de', 'risk', 'high', 'Ich wünschte, ich würde nicht mehr aufwachen'),
  p('de', 'risk', 'high', 'Ich denke oft an Suizid'),
  // ---- German: elevated
  p('de', 'risk', 'elevated', 'Ich kann nicht mehr'),
  p('de', 'risk', 'elevated', 'Alles ist hoffnungslos'),
  p('de', 'risk', 'elevated', 'Ich halte das nicht mehr aus'),
  p('de', 'risk', 'elevated', 'Ich bin nur eine Last für alle'),
  p('de', 'reported', 'elevated', 'Meine Freundin hat gesagt: „Ich will sterben“'),
  p('de', 'reported', 'elevated', 'Meine Freundin will sich umbringen'),
  p('de', 'reported', 'elevated', 'Er hat mir erzählt, dass er sich ritzt'),
  p('de', 'hypothetical', 'elevated', 'Was wäre, wenn ich mich umbringen würde?'),
  p('de', 'past', 'elevated', 'Früher habe ich mich geritzt'),
  // ---- German: negations (none)
  p('de', 'negation', 'none', 'Ich will mich nicht umbringen'),
  p('de', 'negation', 'none', 'Keine Sorge, ich werde mir nichts antun und mich nie verletzen'),
  p('de', 'negation', 'none', 'Ich will nicht sterben, ich will nur, dass es besser wird'),
  p('de', 'negation', 'none', 'Ich habe keine Selbstmordgedanken'),
  p('de', 'negation', 'none', 'Ich ritze mich nicht mehr'),
  // ---- German: idioms and neutral talk (none)
  p('de', 'idiom', 'none', 'Die Hausaufgaben bringen mich um'),
  p('de', 'idiom', 'none', 'Ich lach mich tot'),
  p('de', 'idiom', 'none', 'Ich sterbe vor Langeweile'),
  p('de', 'idiom', 'none', 'Ich bin todmüde'),
  p('de', 'idiom', 'none', 'Das bringt mich noch um, echt'),
  p('de', 'idiom', 'none', 'Ich habe mich beim Fußball verletzt'),
  p('de', 'idiom', 'none', 'Mathe ist zum Sterben langweilig'),
  p('de', 'neutral', 'none', 'Wir schreiben ein Referat über Suizidprävention'),
  p('de', 'neutral', 'none', 'Ich plane eine Party am Wochenende'),
  p('de', 'neutral', 'none', 'Kannst du mir bei Mathe helfen?'),
];
