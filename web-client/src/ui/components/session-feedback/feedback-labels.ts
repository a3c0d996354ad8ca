// Words for the fixed feedback lists (protocol/src/feedback.ts), shared by the student's form and the
// supporter's summary so both say the same thing.
import { msg } from '@lit/localize';

export function helpfulnessLabel(n: number): string {
  switch (n) {
    case 1: return msg('Not helpful', { id: 'feedback.helpful.1' });
    case 2: return msg('A little helpful', { id: 'feedback.helpful.2' });
    case 3: return msg('Somewhat helpful', { id: 'feedback.helpful.3' });
    case 4: return msg('Helpful', { id: 'feedback.helpful.4' });
    default: return msg('Very helpful', { id: 'feedback.helpful.5' });
  }
}

export function themeLabel(id: string): string {
  switch (id) {
    case 'listened-to': return msg('I felt listened to', { id: 'feedback.theme.listened-to' });
    case 'practical-ideas': return msg('I got practical ideas', { id: 'feedback.theme.practical-ideas' });
    case 'felt-understood': return msg('I felt understood', { id: 'feedback.theme.felt-understood' });
    case 'felt-rushed': return msg('It felt rushed', { id: 'feedback.theme.felt-rushed' });
    case 'hard-to-follow': return msg('It was hard to follow', { id: 'feedback.theme.hard-to-follow' });
    case 'wanted-counsellor': return msg('I would have liked a counsellor', { id: 'feedback.theme.wanted-counsellor' });
    case 'would-come-back': return msg('I would come back', { id: 'feedback.theme.would-come-back' });
    default: return id;
  }
}
