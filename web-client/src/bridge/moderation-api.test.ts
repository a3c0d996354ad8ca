import { describe, expect, it } from 'vitest';
import { REPORT_NOTE_MAX, REPORT_TEXT_MAX, sharedReportText } from './moderation-api.ts';

describe('sharedReportText', () => {
  it('shares nothing unless the reporter ticks the message or writes something', () => {
    expect(sharedReportText({ includeMessage: false, messageText: 'a secret', ownWords: '  ' })).toBeUndefined();
    expect(sharedReportText({ includeMessage: false, messageText: 'a secret', ownWords: 'my words' })).toBe('my words');
  });

  it('quotes the message text line by line, before the own words', () => {
    expect(sharedReportText({ includeMessage: true, messageText: 'line one\nline two', ownWords: 'see above' })).toBe('> line one\n> line two\n\nsee above');
  });

  it('shortens a long message so that the whole fits the bridge limit, keeping the own words', () => {
    const note = 'n'.repeat(REPORT_NOTE_MAX + 50);
    const text = sharedReportText({ includeMessage: true, messageText: 'm'.repeat(5000), ownWords: note })!;
    expect(text.length).toBeLessThanOrEqual(REPORT_TEXT_MAX);
    expect(text.endsWith('n'.repeat(REPORT_NOTE_MAX))).toBe(true);
    expect(text).toContain('…\n\n');
  });
});
