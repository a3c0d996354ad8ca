// The small part of node-forge (which ships no types) used to generate a development certificate.
declare module 'node-forge' {
  interface ForgeKey { readonly __forgeKey: unique symbol }
  interface ForgeAttribute { name?: string; shortName?: string; value: string }
  interface ForgeCertificate {
    publicKey: ForgeKey;
    serialNumber: string;
    validity: { notBefore: Date; notAfter: Date };
    setSubject(attrs: ForgeAttribute[]): void;
    setIssuer(attrs: ForgeAttribute[]): void;
    setExtensions(exts: Record<string, unknown>[]): void;
    sign(key: ForgeKey, md: unknown): void;
  }
  const forge: {
    pki: {
      privateKeyFromPem(pem: string): ForgeKey;
      publicKeyFromPem(pem: string): ForgeKey;
      createCertificate(): ForgeCertificate;
      certificateToPem(cert: ForgeCertificate): string;
    };
    md: { sha256: { create(): unknown } };
  };
  export default forge;
}
