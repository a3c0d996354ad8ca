// German strings of single sign-on on the sign-in screen (merged into ../de.ts), keyed by the ids given to msg().
// Strings with placeholders use str`…${0}…` from @lit/localize, as in ../de.ts.
import { str, type TemplateMap } from '@lit/localize';

export const sso: TemplateMap = {
  'sso.sign-in-with': str`Mit ${0} anmelden`,
  'sso.sign-in-institution': 'Mit deiner Einrichtung anmelden',
  'sso.or-password': 'Oder melde dich mit Benutzername und Passwort an:',
  'sso.redirecting': 'Du wirst zur Anmeldung deiner Einrichtung weitergeleitet …',
};
