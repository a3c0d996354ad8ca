// Turns the consent dialog's form into the student's choice, or says what is missing. Pure, so it is
// unit-tested without a browser; the dialog shows the returned problem next to the control.
import type { ConsentChoice } from '../../../safety/consent.ts';

export interface ConsentFormValues {
  share: string | null;
  summary: string;
  /** Event ids of the messages ticked in the dialog. */
  eventIds: readonly string[];
}

export type ConsentFormResult = { ok: true; choice: ConsentChoice } | { ok: false; problem: 'choose-share' | 'empty-summary' | 'no-messages' };

export const SUMMARY_MAX_LENGTH = 2000;

export function readConsentChoice(v: ConsentFormValues): ConsentFormResult {
  switch (v.share) {
    case 'nothing':
      return { ok: true, choice: { share: 'nothing' } };
    case 'summary': {
      const summary = v.summary.trim();
      return summary ? { ok: true, choice: { share: 'summary', summary: summary.slice(0, SUMMARY_MAX_LENGTH) } } : { ok: false, problem: 'empty-summary' };
    }
    case 'messages':
      return v.eventIds.length > 0 ? { ok: true, choice: { share: 'messages', eventIds: [...new Set(v.eventIds)] } } : { ok: false, problem: 'no-messages' };
    default:
      return { ok: false, problem: 'choose-share' };
  }
}
