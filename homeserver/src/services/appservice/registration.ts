// Application service registrations: the YAML files Synapse reads (spec: Application Service API,
// Registration), checked field by field so a bad file stops the server with a message naming the
// file and the field, and the namespace matching every other part of the module relies on.
import { readFileSync } from 'node:fs';
import { yamlModule } from '../../core/lazy-modules.ts';
import { isValidUserId } from '../../core/ids.ts';

export class RegistrationError extends Error {}

export interface NamespaceRule {
  exclusive: boolean;
  /** Sticky, so a test matches from the start of the string like Python's re.match (Synapse). */
  regex: RegExp;
}

export type NamespaceKind = 'users' | 'aliases' | 'rooms';
const KINDS: readonly NamespaceKind[] = ['users', 'aliases', 'rooms'];

export interface AppserviceRegistration {
  id: string;
  /** Base URL without trailing slash; null = the appservice receives no pushes. */
  url: string | null;
  asToken: string;
  hsToken: string;
  senderLocalpart: string;
  namespaces: Record<NamespaceKind, NamespaceRule[]>;
  /** Whether masqueraded users are rate-limited (the sender never is). Synapse defaults to true. */
  rateLimited: boolean;
  protocols: string[];
  receiveEphemeral: boolean;
  /** Where it was read from, for messages. */
  file: string;
}

/** One configured application service and the questions asked of its namespaces. */
export class Appservice {
  readonly reg: AppserviceRegistration;
  readonly sender: string;
  private readonly serverSuffix: string;

  constructor(reg: AppserviceRegistration, serverName: string) {
    this.reg = reg;
    this.sender = `@${reg.senderLocalpart}:${serverName}`;
    this.serverSuffix = `:${serverName}`;
  }

  get id(): string {
    return this.reg.id;
  }

  /** The first rule of a namespace matching `value` (Synapse uses the first match's exclusivity). */
  private match(kind: NamespaceKind, value: string): NamespaceRule | undefined {
    for (const rule of this.reg.namespaces[kind]) {
      rule.regex.lastIndex = 0;
      if (rule.regex.test(value)) return rule;
    }
    return undefined;
  }

  /** In the users namespace. Only local users count (spec: the users namespace covers local users). */
  isUserInNamespace(userId: string): boolean {
    return userId.endsWith(this.serverSuffix) && this.match('users', userId) !== undefined;
  }

  /** The sender, or a user in the users namespace. */
  isInterestedInUser(userId: string): boolean {
    return userId === this.sender || this.isUserInNamespace(userId);
  }

  isExclusiveUser(userId: string): boolean {
    return userId === this.sender || (userId.endsWith(this.serverSuffix) && this.match('users', userId)?.exclusive === true);
  }

  isAliasInNamespace(alias: string): boolean {
    return this.match('aliases', alias) !== undefined;
  }

  isExclusiveAlias(alias: string): boolean {
    return this.match('aliases', alias)?.exclusive === true;
  }

  isRoomIdInNamespace(roomId: string): boolean {
    return this.match('rooms', roomId) !== undefined;
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Python regex syntax the files may use, in JavaScript form: named groups and back-references. */
function compileNamespaceRegex(source: string): RegExp {
  const js = source.replace(/\(\?P</g, '(?<').replace(/\(\?P=(\w+)\)/g, '\\k<$1>');
  return new RegExp(js, 'y');
}

/** Checks one parsed registration; `file` only names it in messages. */
export function parseRegistration(raw: unknown, file: string): AppserviceRegistration {
  const fail = (field: string, problem: string): never => {
    throw new RegistrationError(`appservice registration ${file}: '${field}' ${problem}`);
  };
  if (!isObj(raw)) throw new RegistrationError(`appservice registration ${file}: must be a YAML mapping of registration fields`);
  const str = (field: string): string => {
    const v = raw[field];
    if (v === undefined) fail(field, 'is required');
    if (typeof v !== 'string' || v === '') fail(field, 'must be a non-empty string');
    return v as string;
  };
  const id = str('id');
  // Synapse keys internal state by `<id>|…`.
  if (id.includes('|')) fail('id', "must not contain '|'");
  if (!('url' in raw)) fail('url', 'is required (a URL, or null for an appservice that receives no events)');
  let url: string | null = null;
  const rawUrl = raw['url'];
  if (rawUrl !== null) {
    if (typeof rawUrl !== 'string') fail('url', 'must be a URL string or null');
    let parsed: URL | undefined;
    try {
      parsed = new URL(rawUrl as string);
    } catch {
      fail('url', `is not a valid URL: ${JSON.stringify(rawUrl)}`);
    }
    if (parsed!.protocol !== 'http:' && parsed!.protocol !== 'https:') fail('url', 'must be an http:// or https:// URL');
    url = (rawUrl as string).replace(/\/+$/, '');
  }
  const asToken = str('as_token');
  const hsToken = str('hs_token');
  const senderLocalpart = str('sender_localpart');
  // Synapse requires a localpart that needs no URL encoding.
  if (!/^[A-Za-z0-9._~/=+-]+$/.test(senderLocalpart) || !isValidUserId(`@${senderLocalpart}:x`)) {
    fail('sender_localpart', `'${senderLocalpart}' is not a valid user id localpart`);
  }
  const ns = raw['namespaces'];
  if (ns === undefined) fail('namespaces', 'is required');
  if (!isObj(ns)) fail('namespaces', 'must be a mapping with users, aliases and rooms lists');
  const namespaces = { users: [], aliases: [], rooms: [] } as Record<NamespaceKind, NamespaceRule[]>;
  for (const kind of KINDS) {
    const list = (ns as Obj)[kind];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) fail(`namespaces.${kind}`, 'must be a list of {exclusive, regex}');
    (list as unknown[]).forEach((entry, i) => {
      const where = `namespaces.${kind}[${i}]`;
      if (!isObj(entry)) fail(where, 'must be a mapping with exclusive and regex');
      const e = entry as Obj;
      if (typeof e['exclusive'] !== 'boolean') fail(`${where}.exclusive`, 'must be true or false');
      if (typeof e['regex'] !== 'string') fail(`${where}.regex`, 'must be a string');
      let regex: RegExp | undefined;
      try {
        regex = compileNamespaceRegex(e['regex'] as string);
      } catch (err) {
        fail(`${where}.regex`, `is not a valid regular expression: ${(err as Error).message}`);
      }
      namespaces[kind].push({ exclusive: e['exclusive'] as boolean, regex: regex! });
    });
  }
  const rl = raw['rate_limited'];
  if (rl !== undefined && rl !== null && typeof rl !== 'boolean') fail('rate_limited', 'must be true or false');
  const protocols = raw['protocols'];
  if (protocols !== undefined && protocols !== null && (!Array.isArray(protocols) || !protocols.every((p) => typeof p === 'string'))) {
    fail('protocols', 'must be a list of strings');
  }
  let receiveEphemeral = false;
  for (const field of ['receive_ephemeral', 'de.sorunome.msc2409.push_ephemeral']) {
    const v = raw[field];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'boolean') fail(field, 'must be true or false');
    receiveEphemeral ||= v as boolean;
  }
  return {
    id, url, asToken, hsToken, senderLocalpart, namespaces,
    rateLimited: typeof rl === 'boolean' ? rl : true,
    protocols: (protocols as string[] | undefined | null) ?? [],
    receiveEphemeral,
    file,
  };
}

/** Reads and checks every registration file; ids and tokens must be unique across them (spec). */
export function loadRegistrations(files: readonly string[], readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): AppserviceRegistration[] {
  const out: AppserviceRegistration[] = [];
  const seen = { id: new Map<string, string>(), as_token: new Map<string, string>(), hs_token: new Map<string, string>() };
  for (const file of files) {
    let text: string;
    try {
      text = readFile(file);
    } catch (e) {
      throw new RegistrationError(`cannot read appservice registration ${file}: ${(e as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = yamlModule().parse(text);
    } catch (e) {
      throw new RegistrationError(`appservice registration ${file} is not valid YAML: ${(e as Error).message}`);
    }
    const reg = parseRegistration(parsed, file);
    for (const [field, value] of [['id', reg.id], ['as_token', reg.asToken], ['hs_token', reg.hsToken]] as const) {
      const other = seen[field].get(value);
      if (other !== undefined) {
        throw new RegistrationError(`appservice registration ${file}: '${field}' is the same as in ${other}; each appservice needs its own`);
      }
      seen[field].set(value, file);
    }
    out.push(reg);
  }
  return out;
}
