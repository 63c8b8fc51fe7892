import { z } from 'zod';
import { CONDITIONAL_ERRORS, ID_ERRORS, WRITE_ERRORS } from '../openapi/RouteDoc';
import { certificateReply } from '../openapi/replySchemas';
import type { ServicesProvider } from '../RegistryServices';
import type { HttpRoute } from '../HttpRoute';
import {
  certificateBody,
  verificationBody,
  deleteCertificate,
  generateVerificationCode,
  getCertificate,
  listCertificates,
  putCertificate,
  verifyCertificate,
} from '../handlers/certificateHandlers';
import { httpEndpoint, type ServiceHandler } from '../httpEndpoint';

/** CA certificates (for devices of certificateAuthority authentication): IoT Hub's service API paths, each with its OpenAPI description. */
export function certificateRoutes(services: ServicesProvider): HttpRoute[] {
  const read = (h: ServiceHandler) => httpEndpoint('RegistryRead', services, h);
  const write = (h: ServiceHandler) => httpEndpoint('RegistryWrite', services, h);
  return [
    {
      name: 'listCertificates',
      methods: ['GET'],
      route: 'certificates',
      doc: {
        summary: 'List the CA certificates',
        success: [200, z.object({ value: z.array(certificateReply) })],
        errors: [],
      },
      handler: read(listCertificates),
    },
    {
      name: 'getCertificate',
      methods: ['GET'],
      route: 'certificates/{name}',
      doc: {
        summary: 'Read a CA certificate (with its pending verification code)',
        success: [200, certificateReply],
        errors: [...ID_ERRORS, 'NotFound'],
      },
      handler: read(getCertificate),
    },
    {
      name: 'putCertificate',
      methods: ['PUT'],
      route: 'certificates/{name}',
      doc: {
        summary: 'Upload a CA certificate (no If-Match: create; an etag or *: replace)',
        body: certificateBody,
        success: [200, certificateReply],
        errors: [...WRITE_ERRORS, 'NotFound', 'CertificateAlreadyExists', ...CONDITIONAL_ERRORS],
      },
      handler: write(putCertificate),
    },
    {
      name: 'deleteCertificate',
      methods: ['DELETE'],
      route: 'certificates/{name}',
      doc: {
        summary: 'Delete a CA certificate',
        success: [204, null],
        errors: [...ID_ERRORS, 'NotFound', ...CONDITIONAL_ERRORS],
      },
      handler: write(deleteCertificate),
    },
    {
      name: 'generateVerificationCode',
      methods: ['POST'],
      route: 'certificates/{name}/generateVerificationCode',
      doc: {
        summary: 'Generate the code a proof-of-possession certificate must carry as its CN',
        success: [200, certificateReply],
        errors: [...ID_ERRORS, 'NotFound', ...CONDITIONAL_ERRORS],
      },
      handler: write(generateVerificationCode),
    },
    {
      name: 'verifyCertificate',
      methods: ['POST'],
      route: 'certificates/{name}/verify',
      doc: {
        summary:
          "Prove possession of the CA's key: a certificate with the code as CN, signed by it",
        body: verificationBody,
        success: [200, certificateReply],
        errors: [...WRITE_ERRORS, 'NotFound', ...CONDITIONAL_ERRORS],
      },
      handler: write(verifyCertificate),
    },
  ];
}
