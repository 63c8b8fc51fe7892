import { z } from 'zod';
import type { CaCertificate } from '../../domain/auth/CaCertificate';
import { parseIfMatch } from '../../domain/identity/IfMatch';
import { identityResponse, jsonResponse } from '../jsonResponse';
import { pathParam } from '../pathParam';
import { readJsonBody } from '../readJsonBody';
import type { ServiceHandler } from '../httpEndpoint';

/** IoT Hub's CertificateDescription (the verification code only while one is pending). */
function certificateJson(c: CaCertificate, withCode = false) {
  return {
    id: `certificates/${c.name}`,
    name: c.name,
    etag: c.etag,
    type: 'Microsoft.Devices/IotHubs/Certificates',
    properties: {
      subject: c.subject,
      expiry: c.expiry,
      thumbprint: c.thumbprint,
      isVerified: c.isVerified,
      created: c.created,
      updated: c.updated,
      certificate: c.certificate,
      ...(withCode && c.verificationCode ? { verificationCode: c.verificationCode } : {}),
    },
  };
}

const pem = z.string({ error: 'certificate is required: the PEM (or base64 DER) certificate' });
export const certificateBody = z.union(
  [
    z.object({ properties: z.object({ certificate: pem, isVerified: z.boolean().optional() }) }),
    z.object({ certificate: pem, isVerified: z.boolean().optional() }),
  ],
  { error: 'Send { "properties": { "certificate": "<PEM>" } }' },
);
export const verificationBody = z.object({ certificate: pem });

const nameOf = (request: Parameters<ServiceHandler>[0]) => pathParam(request, 'name');
const ifMatchOf = (request: Parameters<ServiceHandler>[0]) =>
  parseIfMatch(request.headers.get('if-match'));

export const listCertificates: ServiceHandler = async (_request, { certificates }) =>
  jsonResponse(200, { value: (await certificates.list()).map((c) => certificateJson(c)) });

export const getCertificate: ServiceHandler = async (request, { certificates }) =>
  identityResponse(certificateJson(await certificates.get(nameOf(request)), true));

export const putCertificate: ServiceHandler = async (request, { certificates }) => {
  const body = await readJsonBody(request, certificateBody, 'certificate');
  const fields = 'properties' in body ? body.properties : body;
  return identityResponse(
    certificateJson(
      await certificates.put(
        nameOf(request),
        fields.certificate,
        fields.isVerified ?? false,
        ifMatchOf(request),
      ),
    ),
  );
};

export const deleteCertificate: ServiceHandler = async (request, { certificates }) => {
  await certificates.delete(nameOf(request), ifMatchOf(request));
  return { status: 204 };
};

export const generateVerificationCode: ServiceHandler = async (request, { certificates }) =>
  identityResponse(
    certificateJson(
      await certificates.generateVerificationCode(nameOf(request), ifMatchOf(request)),
      true,
    ),
  );

export const verifyCertificate: ServiceHandler = async (request, { certificates }) => {
  const { certificate } = await readJsonBody(request, verificationBody, 'verification certificate');
  return identityResponse(
    certificateJson(await certificates.verify(nameOf(request), certificate, ifMatchOf(request))),
  );
};
