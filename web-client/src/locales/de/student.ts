// German strings of the student part of the UI (merged into ../de.ts), keyed by the ids given to msg().
// Strings with placeholders use str`…${0}…` from @lit/localize, as in ../de.ts.
import type { TemplateMap } from '@lit/localize';

export const student: TemplateMap = {
};
