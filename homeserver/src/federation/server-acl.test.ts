// Server ACL matching as the spec orders it: no ACL allows, IP literals, deny, allow, else deny.
import { describe, expect, it } from 'vitest';
import { ServerAclCache, globToRegExp, parseServerAcl, serverAclAllows } from './server-acl.ts';

const allows = (content: Record<string, unknown>, server: string): boolean => serverAclAllows(parseServerAcl(content), server);

describe('server ACL matching', () => {
  it('allows every server when the room has no ACL', () => {
    expect(serverAclAllows(null, 'evil.example')).toBe(true);
  });

  it('denies every server when the ACL has no allow list', () => {
    expect(allows({ deny: [] }, 'good.example')).toBe(false);
    expect(allows({}, 'good.example')).toBe(false);
  });

  it('lets deny win over allow', () => {
    const acl = { allow: ['*'], deny: ['evil.example'] };
    expect(allows(acl, 'evil.example')).toBe(false);
    expect(allows(acl, 'good.example')).toBe(true);
  });

  it('ignores the port of the server name', () => {
    const acl = { allow: ['*'], deny: ['evil.example'] };
    expect(allows(acl, 'evil.example:8448')).toBe(false);
    expect(allows(acl, 'evil.example:1234')).toBe(false);
    expect(allows({ allow: ['good.example'] }, 'good.example:8448')).toBe(true);
    // A pattern with a port never matches: ports are not part of what is compared.
    expect(allows({ allow: ['good.example:8448'] }, 'good.example:8448')).toBe(false);
  });

  it('matches * as any run of characters and ? as exactly one', () => {
    const acl = { allow: ['*.uni.example', 'school?.example'] };
    expect(allows(acl, 'a.uni.example')).toBe(true);
    expect(allows(acl, 'a.b.uni.example')).toBe(true);
    expect(allows(acl, 'uni.example')).toBe(false);
    expect(allows(acl, 'school1.example')).toBe(true);
    expect(allows(acl, 'school12.example')).toBe(false);
    expect(allows(acl, 'school.example')).toBe(false);
  });

  it('compares case-insensitively', () => {
    expect(allows({ allow: ['Uni.Example'] }, 'uni.example')).toBe(true);
    expect(allows({ allow: ['*'], deny: ['EVIL.example'] }, 'evil.EXAMPLE')).toBe(false);
  });

  it('treats regular-expression characters in patterns literally', () => {
    expect(allows({ allow: ['a.example'] }, 'abexample')).toBe(false);
    expect(allows({ allow: ['a+b.example'] }, 'aab.example')).toBe(false);
    expect(globToRegExp('a+b(c)').test('a+b(c)')).toBe(true);
  });

  it('refuses IPv4 and IPv6 literals when allow_ip_literals is false, before any allow rule', () => {
    const acl = { allow: ['*'], allow_ip_literals: false };
    expect(allows(acl, '1.2.3.4')).toBe(false);
    expect(allows(acl, '1.2.3.4:8448')).toBe(false);
    expect(allows(acl, '[::1]')).toBe(false);
    expect(allows(acl, '[2001:db8::1]:8448')).toBe(false);
    expect(allows(acl, 'name.example')).toBe(true);
  });

  it('allows IP literals by default, and when allow_ip_literals is not a boolean', () => {
    expect(allows({ allow: ['*'] }, '1.2.3.4')).toBe(true);
    expect(allows({ allow: ['*'], allow_ip_literals: 'no' }, '1.2.3.4')).toBe(true);
    expect(allows({ allow: ['[::1]'] }, '[::1]:8448')).toBe(true);
    expect(allows({ allow: ['1.2.3.*'] }, '1.2.3.9')).toBe(true);
  });

  it('reads malformed lists as empty and skips entries that are not strings', () => {
    expect(allows({ allow: '*' }, 'good.example')).toBe(false);
    expect(allows({ allow: ['*'], deny: 'good.example' }, 'good.example')).toBe(true);
    expect(allows({ allow: [42, null, 'good.example'] }, 'good.example')).toBe(true);
  });

  it('denies a name that is not a valid server name', () => {
    expect(allows({ allow: ['*'] }, 'not a server')).toBe(false);
  });

  it('builds anchored patterns', () => {
    expect(globToRegExp('b.example').test('ab.example')).toBe(false);
    expect(globToRegExp('b.example').test('b.example.org')).toBe(false);
  });

  it('parses an ACL event once and reuses it by event id', () => {
    const cache = new ServerAclCache(2);
    const first = cache.get('$a', { allow: ['*'] });
    expect(cache.get('$a', { allow: [] })).toBe(first);
    cache.get('$b', { allow: [] });
    cache.get('$c', { allow: [] });
    // '$a' was evicted: its content is read again.
    expect(cache.get('$a', { allow: [] }).allow).toEqual([]);
  });
});
