// Registration files as Synapse reads them: each malformed field stops the start with the file and
// the field named, and the namespace questions answer as Synapse's (re.match from the start, the
// first matching rule decides exclusivity, only local users count).
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { Appservice, RegistrationError, loadRegistrations, parseRegistration } from './registration.ts';

const SERVER = 'hs.example';

function valid(): Record<string, unknown> {
  return {
    id: 'irc',
    url: 'http://127.0.0.1:9000/',
    as_token: 'as-secret',
    hs_token: 'hs-secret',
    sender_localpart: '_irc_bot',
    namespaces: {
      users: [{ exclusive: true, regex: '@_irc_.*' }],
      aliases: [{ exclusive: false, regex: '#_irc_.*' }],
      rooms: [],
    },
  };
}

function appservice(namespaces: Record<string, unknown>): Appservice {
  return new Appservice(parseRegistration({ ...valid(), namespaces }, 'as.yaml'), SERVER);
}

describe('parseRegistration', () => {
  it('reads a valid registration with Synapse defaults for optional fields', () => {
    const reg = parseRegistration(valid(), 'irc.yaml');
    expect(reg.id).toBe('irc');
    expect(reg.url).toBe('http://127.0.0.1:9000');
    expect(reg.rateLimited).toBe(true);
    expect(reg.receiveEphemeral).toBe(false);
    expect(reg.protocols).toEqual([]);
    expect(reg.namespaces.users).toHaveLength(1);
    expect(reg.namespaces.rooms).toHaveLength(0);
  });

  it('accepts an explicit null url (no pushes) and the ephemeral, rate limit and protocol settings', () => {
    const reg = parseRegistration({ ...valid(), url: null, rate_limited: false, receive_ephemeral: true, protocols: ['irc'] }, 'irc.yaml');
    expect(reg.url).toBeNull();
    expect(reg.rateLimited).toBe(false);
    expect(reg.receiveEphemeral).toBe(true);
    expect(reg.protocols).toEqual(['irc']);
  });

  const bad: [string, (r: Record<string, unknown>) => void, string][] = [
    ['a missing id', (r) => delete r['id'], "'id' is required"],
    ['a non-string id', (r) => { r['id'] = 5; }, "'id' must be a non-empty string"],
    ['an id with |', (r) => { r['id'] = 'a|b'; }, "'id' must not contain '|'"],
    ['a missing url', (r) => delete r['url'], "'url' is required"],
    ['a numeric url', (r) => { r['url'] = 8080; }, "'url' must be a URL string or null"],
    ['an unparsable url', (r) => { r['url'] = 'not a url'; }, "'url' is not a valid URL"],
    ['a non-http url', (r) => { r['url'] = 'ftp://x'; }, "'url' must be an http:// or https:// URL"],
    ['a missing as_token', (r) => delete r['as_token'], "'as_token' is required"],
    ['an empty hs_token', (r) => { r['hs_token'] = ''; }, "'hs_token' must be a non-empty string"],
    ['a missing sender_localpart', (r) => delete r['sender_localpart'], "'sender_localpart' is required"],
    ['a sender_localpart needing URL encoding', (r) => { r['sender_localpart'] = 'a b'; }, "'sender_localpart' 'a b' is not a valid"],
    ['missing namespaces', (r) => delete r['namespaces'], "'namespaces' is required"],
    ['namespaces as a list', (r) => { r['namespaces'] = []; }, "'namespaces' must be a mapping"],
    ['a users namespace that is not a list', (r) => { r['namespaces'] = { users: {} }; }, "'namespaces.users' must be a list"],
    ['a namespace entry that is not a mapping', (r) => { r['namespaces'] = { rooms: ['x'] }; }, "'namespaces.rooms[0]' must be a mapping"],
    ['a namespace without exclusive', (r) => { r['namespaces'] = { users: [{ regex: '@a' }] }; }, "'namespaces.users[0].exclusive' must be true or false"],
    ['a namespace without regex', (r) => { r['namespaces'] = { aliases: [{ exclusive: true }] }; }, "'namespaces.aliases[0].regex' must be a string"],
    ['an invalid regex', (r) => { r['namespaces'] = { users: [{ exclusive: true, regex: '@(' }] }; }, "'namespaces.users[0].regex' is not a valid regular expression"],
    ['a non-boolean rate_limited', (r) => { r['rate_limited'] = 'no'; }, "'rate_limited' must be true or false"],
    ['protocols that are not strings', (r) => { r['protocols'] = [1]; }, "'protocols' must be a list of strings"],
    ['a non-boolean receive_ephemeral', (r) => { r['receive_ephemeral'] = 'yes'; }, "'receive_ephemeral' must be true or false"],
  ];
  for (const [what, mutate, message] of bad) {
    it(`rejects ${what}, naming the file and the field`, () => {
      const r = valid();
      mutate(r);
      expect(() => parseRegistration(r, '/etc/as/irc.yaml')).toThrow(RegistrationError);
      expect(() => parseRegistration(r, '/etc/as/irc.yaml')).toThrow(`appservice registration /etc/as/irc.yaml: ${message}`);
    });
  }

  it('rejects a file that is not a mapping', () => {
    expect(() => parseRegistration(['id'], 'x.yaml')).toThrow('appservice registration x.yaml: must be a YAML mapping');
  });
});

describe('loadRegistrations', () => {
  const files: Record<string, string> = {};
  const read = (p: string): string => {
    const t = files[p];
    if (t === undefined) throw new Error('ENOENT: no such file');
    return t;
  };

  it('loads several registration files', () => {
    files['a.yaml'] = stringify(valid());
    files['b.yaml'] = stringify({ ...valid(), id: 'b', as_token: 'b-as', hs_token: 'b-hs' });
    expect(loadRegistrations(['a.yaml', 'b.yaml'], read).map((r) => r.id)).toEqual(['irc', 'b']);
  });

  it('rejects a second registration reusing an id', () => {
    files['a.yaml'] = stringify(valid());
    files['c.yaml'] = stringify({ ...valid(), as_token: 'c-as', hs_token: 'c-hs' });
    expect(() => loadRegistrations(['a.yaml', 'c.yaml'], read)).toThrow("appservice registration c.yaml: 'id' is the same as in a.yaml");
  });

  it('rejects a second registration reusing an as_token', () => {
    files['a.yaml'] = stringify(valid());
    files['d.yaml'] = stringify({ ...valid(), id: 'd', hs_token: 'd-hs' });
    expect(() => loadRegistrations(['a.yaml', 'd.yaml'], read)).toThrow("'as_token' is the same as in a.yaml");
  });

  it('rejects a second registration reusing an hs_token', () => {
    files['a.yaml'] = stringify(valid());
    files['e.yaml'] = stringify({ ...valid(), id: 'e', as_token: 'e-as' });
    expect(() => loadRegistrations(['a.yaml', 'e.yaml'], read)).toThrow("'hs_token' is the same as in a.yaml");
  });

  it('names an unreadable file', () => {
    expect(() => loadRegistrations(['missing.yaml'], read)).toThrow('cannot read appservice registration missing.yaml');
  });

  it('names a file that is not YAML', () => {
    files['broken.yaml'] = 'id: [unclosed';
    expect(() => loadRegistrations(['broken.yaml'], read)).toThrow('appservice registration broken.yaml is not valid YAML');
  });
});

describe('namespace matching', () => {
  it('matches from the start of the id like Python re.match, not anywhere in it', () => {
    const as = appservice({ users: [{ exclusive: true, regex: '@_irc_.*' }] });
    expect(as.isUserInNamespace('@_irc_alice:hs.example')).toBe(true);
    expect(as.isUserInNamespace('@x_irc_alice:hs.example')).toBe(false);
  });

  it('does not require the regex to cover the whole id', () => {
    const as = appservice({ users: [{ exclusive: true, regex: '@_irc_' }] });
    expect(as.isUserInNamespace('@_irc_bob:hs.example')).toBe(true);
  });

  it('counts only local users in the users namespace', () => {
    const as = appservice({ users: [{ exclusive: true, regex: '@_irc_.*' }] });
    expect(as.isUserInNamespace('@_irc_alice:other.example')).toBe(false);
  });

  it('treats the sender as interesting and exclusive even outside the namespaces', () => {
    const as = appservice({ users: [] });
    expect(as.sender).toBe('@_irc_bot:hs.example');
    expect(as.isInterestedInUser('@_irc_bot:hs.example')).toBe(true);
    expect(as.isExclusiveUser('@_irc_bot:hs.example')).toBe(true);
    expect(as.isInterestedInUser('@someone:hs.example')).toBe(false);
  });

  it('lets the first matching rule decide exclusivity, as Synapse does', () => {
    const as = appservice({ users: [{ exclusive: false, regex: '@_irc_.*' }, { exclusive: true, regex: '@_irc_x.*' }] });
    expect(as.isUserInNamespace('@_irc_xavier:hs.example')).toBe(true);
    expect(as.isExclusiveUser('@_irc_xavier:hs.example')).toBe(false);
  });

  it('matches aliases and room ids against their own namespaces', () => {
    const as = appservice({ aliases: [{ exclusive: true, regex: '#_irc_.*' }], rooms: [{ exclusive: false, regex: '!bridged.*' }] });
    expect(as.isAliasInNamespace('#_irc_chan:hs.example')).toBe(true);
    expect(as.isExclusiveAlias('#_irc_chan:hs.example')).toBe(true);
    expect(as.isAliasInNamespace('#other:hs.example')).toBe(false);
    expect(as.isRoomIdInNamespace('!bridged123:hs.example')).toBe(true);
    expect(as.isRoomIdInNamespace('!other:hs.example')).toBe(false);
    expect(as.isUserInNamespace('@_irc_a:hs.example')).toBe(false);
  });

  it('gives the same answer when asked repeatedly (sticky regexes are reset)', () => {
    const as = appservice({ users: [{ exclusive: true, regex: '@_irc_.*' }] });
    for (let i = 0; i < 3; i++) expect(as.isUserInNamespace('@_irc_alice:hs.example')).toBe(true);
  });

  it('understands Python named groups in regexes', () => {
    const as = appservice({ users: [{ exclusive: true, regex: '@_(?P<net>irc|xmpp)_(?P=net)_.*' }] });
    expect(as.isUserInNamespace('@_irc_irc_a:hs.example')).toBe(true);
    expect(as.isUserInNamespace('@_irc_xmpp_a:hs.example')).toBe(false);
  });
});
