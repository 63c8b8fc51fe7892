export type AuthenticationType = 'sas' | 'selfSigned' | 'certificateAuthority' | 'none';

export interface SymmetricKey {
  primaryKey: string | null;
  secondaryKey: string | null;
}

export interface X509Thumbprint {
  primaryThumbprint: string | null;
  secondaryThumbprint: string | null;
}

/** Stored and returned credentials of a device or module. */
export interface Authentication {
  type: AuthenticationType;
  symmetricKey: SymmetricKey;
  x509Thumbprint: X509Thumbprint;
}

/** What a caller may send; every part optional, empty keys mean "generate". */
export interface AuthenticationInput {
  type?: AuthenticationType | undefined;
  symmetricKey?: { primaryKey?: string | null; secondaryKey?: string | null } | null | undefined;
  x509Thumbprint?:
    { primaryThumbprint?: string | null; secondaryThumbprint?: string | null } | null | undefined;
}
