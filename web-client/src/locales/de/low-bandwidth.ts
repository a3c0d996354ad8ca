// German strings of text-only mode (account desk).
export const lowBandwidth = {
  'account.text-only.heading': 'Langsame Verbindung',
  'account.text-only.intro': 'Für langsame oder teure Verbindungen und ältere Handys: Peerline sendet und lädt nur den Text deiner Gespräche. Es zeigt anderen nicht, wann du tippst, und dir nicht, wann andere tippen. Nachrichten bleiben Ende-zu-Ende-verschlüsselt.',
  'account.text-only.label': 'Nur-Text-Modus',
  'account.text-only.suggested': 'Eingeschaltet, weil dein Browser eine langsame Verbindung oder Datensparen meldet.',
  'account.text-only.saved': 'Auf diesem Gerät gespeichert. Die sparsamere Verbindung beginnt, wenn Peerline das nächste Mal geöffnet wird.',
};
