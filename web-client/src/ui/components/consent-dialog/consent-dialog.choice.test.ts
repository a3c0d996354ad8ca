import { describe, expect, it } from 'vitest';
import { readConsentChoice, SUMMARY_MAX_LENGTH } from './consent-dialog.choice.ts';

describe('consent dialog choice', () => {
  it('asks the student to pick what to share before anything is given', () => {
    expect(readConsentChoice({ share: null, summary: '', eventIds: [] })).toEqual({ ok: false, problem: 'choose-share' });
  });

  it('shares nothing even when a summary or messages were filled in before switching', () => {
    expect(readConsentChoice({ share: 'nothing', summary: 'text', eventIds: ['$a'] })).toEqual({ ok: true, choice: { share: 'nothing' } });
  });

  it('needs a summary with words in it, trimmed and capped in length', () => {
    expect(readConsentChoice({ share: 'summary', summary: '  \n ', eventIds: [] })).toEqual({ ok: false, problem: 'empty-summary' });
    expect(readConsentChoice({ share: 'summary', summary: '  I need help ', eventIds: [] })).toEqual({ ok: true, choice: { share: 'summary', summary: 'I need help' } });
    const long = readConsentChoice({ share: 'summary', summary: 'x'.repeat(SUMMARY_MAX_LENGTH + 10), eventIds: [] });
    expect(long.ok && long.choice.share === 'summary' && long.choice.summary.length).toBe(SUMMARY_MAX_LENGTH);
  });

  it('needs at least one ticked message and lists each once', () => {
    expect(readConsentChoice({ share: 'messages', summary: '', eventIds: [] })).toEqual({ ok: false, problem: 'no-messages' });
    expect(readConsentChoice({ share: 'messages', summary: '', eventIds: ['$a', '$b', '$a'] })).toEqual({ ok: true, choice: { share: 'messages', eventIds: ['$a', '$b'] } });
  });
});
