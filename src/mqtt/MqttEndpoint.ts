import { randomUUID } from 'node:crypto';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  createServer as createTlsServer,
  type TLSSocket,
  type Server as TlsServer,
} from 'node:tls';
import { Aedes, type AuthenticateError, type Client, type PublishPacket } from 'aedes';
import { createWebSocketStream, WebSocketServer } from 'ws';
import type { DeviceAuthenticator } from '../application/device/DeviceAuthenticator';
import type { DeviceMessageIngress } from '../application/device/DeviceMessageIngress';
import type { DeviceTwins } from '../application/device/DeviceTwins';
import type { LiveSession, LiveSessions } from '../application/connection/LiveSessions';
import { identityOfClientId, usernameMatches } from '../domain/connection/mqttIdentity';
import { parseTelemetryTopic, subscriptionAllowed } from '../domain/connection/mqttTopics';
import { parseDeviceRequestTopic } from '../domain/connection/parseDeviceRequestTopic';
import { parsePropertyBag } from '../domain/connection/parsePropertyBag';
import { isRegistryError } from '../domain/errors/RegistryError';
import type { DesiredPatch } from '../domain/twin/desiredPatchOf';
import type { Clock } from '../ports/Clock';
import { refKey, type IdentityRef } from '../ports/LivenessStore';
import type { Logger } from '../ports/Logger';
import { GuardedConnection } from './GuardedConnection';
import { twinReply, type MqttReply } from './twinReply';

/** IoT Hub's limit for one device-to-cloud message. */
export const MAX_MESSAGE_BYTES = 256 * 1024;
/** The largest packet read at all: a message, its topic (with the property bag) and headers. */
const MAX_PACKET_BYTES = MAX_MESSAGE_BYTES + 64 * 1024 + 16;
/** IoT Hub's largest keep-alive; 0 (none) counts as this too, so a dead peer is found. */
const MAX_KEEPALIVE_SECONDS = 1767;
/** A connection must send CONNECT, and a TLS handshake finish, within this. */
const CONNECT_DEADLINE_MS = 10_000;
export const WEBSOCKET_PATH = '/$iothub/websocket';
export const TWIN_RESPONSE_TOPICS = '$iothub/twin/res/#';
export const DESIRED_TOPICS = '$iothub/twin/PATCH/properties/desired/#';

export interface MqttEndpointDeps {
  authenticator: DeviceAuthenticator;
  ingress: DeviceMessageIngress;
  twins: DeviceTwins;
  sessions: LiveSessions;
  /** A device answered a direct method call. */
  methodAnswered: (ref: IdentityRef, rid: string, status: number, payload: Buffer) => void;
  hostNames: readonly string[];
  clock: Clock;
  logger: Logger;
}

export interface MqttListenOptions {
  key: string;
  cert: string;
  host: string;
  /** MQTT over TLS (0: a free port). */
  port: number;
  /** MQTT over WebSockets over TLS at /$iothub/websocket (0: a free port; null: none). */
  wsPort: number | null;
  maxConnections: number;
}

const refusal = (returnCode: 2 | 3 | 4 | 5, message: string): AuthenticateError =>
  Object.assign(new Error(message), { returnCode });

const sameRef = (a: IdentityRef, b: IdentityRef) =>
  a.deviceId === b.deviceId && a.moduleId === b.moduleId;

/**
 * IoT Hub's MQTT device endpoint on aedes: MQTT 3.1.1 over TLS and over WebSockets. A client
 * authenticates as one identity (client id, user name, SAS password or TLS client certificate,
 * checked by the same DeviceAuthenticator as the HTTPS endpoint), publishes telemetry to its own
 * events topic (forwarded by the same DeviceMessageIngress; PUBACK once the hub stored it) and
 * may subscribe to its own topics only. Its connects and disconnects are recorded by LiveSessions.
 */
export class MqttEndpoint {
  private readonly broker: Aedes;
  private readonly certificates = new WeakMap<object, Buffer | null>();
  private readonly live = new WeakMap<Client, LiveSession>();
  /** The connected client of each identity (refKey), to send it what the service sends. */
  private readonly clients = new Map<string, Client>();
  /** The topic filters each client subscribed to, with the QoS granted. */
  private readonly subscriptions = new WeakMap<Client, Map<string, 0 | 1>>();
  /** The newest desired `$version` each client was shown (a GET or a patch). */
  private readonly desiredVersions = new WeakMap<Client, number>();
  private tls: TlsServer | undefined;
  private https: HttpsServer | undefined;
  private wss: WebSocketServer | undefined;
  port = 0;
  wsPort: number | null = null;

  constructor(private readonly deps: MqttEndpointDeps) {
    this.broker = new Aedes({
      connectTimeout: CONNECT_DEADLINE_MS,
      preConnect: (_client, packet, done) => {
        if (!packet.keepalive || packet.keepalive > MAX_KEEPALIVE_SECONDS)
          packet.keepalive = MAX_KEEPALIVE_SECONDS;
        // Will messages are not supported: dropped here, so none is ever published.
        delete packet.will;
        done(null, true);
      },
      authenticate: (client, username, password, done) => {
        this.authenticate(client, username, password).then(
          () => done(null, true),
          (error: AuthenticateError) => done(error, false),
        );
      },
      authorizePublish: (client, packet, done) => {
        if (!client) return done(new Error('Only devices publish here'));
        this.publish(client, packet).then(
          () => done(null),
          (error: Error) => done(error),
        );
      },
      authorizeSubscribe: (client, subscription, done) => {
        const session = this.live.get(client);
        if (!session || !subscriptionAllowed(subscription.topic, session.ref))
          return done(null, null); // SUBACK 0x80 for this topic
        // IoT Hub grants QoS 0 and 1 only.
        done(null, { ...subscription, qos: Math.min(subscription.qos, 1) as 0 | 1 });
      },
    });
    this.broker.on('subscribe', (subscriptions, client) => {
      const held = this.subscriptions.get(client) ?? new Map<string, 0 | 1>();
      for (const s of subscriptions) if (s.qos === 0 || s.qos === 1) held.set(s.topic, s.qos);
      this.subscriptions.set(client, held);
    });
    this.broker.on('unsubscribe', (topics, client) => {
      for (const topic of topics) this.subscriptions.get(client)?.delete(topic);
    });
    this.broker.on('clientError', (client, error) => {
      if (this.live.has(client))
        deps.logger.info(`MQTT: ${client.id} disconnected: ${error.message}`);
    });
  }

  async listen(options: MqttListenOptions): Promise<void> {
    await this.broker.listen();
    const tls = createTlsServer({
      key: options.key,
      cert: options.cert,
      // X.509 devices present a client certificate; the authenticator decides what it proves.
      requestCert: true,
      rejectUnauthorized: false,
      handshakeTimeout: CONNECT_DEADLINE_MS,
    });
    tls.maxConnections = options.maxConnections;
    tls.on('secureConnection', (socket: TLSSocket) => this.accept(socket, socket));
    tls.on('tlsClientError', () => undefined);
    this.tls = tls;
    this.port = await listenOn(tls, options.port, options.host);
    if (options.wsPort === null) return;
    const https = createHttpsServer({
      key: options.key,
      cert: options.cert,
      requestCert: true,
      rejectUnauthorized: false,
      handshakeTimeout: CONNECT_DEADLINE_MS,
      headersTimeout: CONNECT_DEADLINE_MS,
      requestTimeout: CONNECT_DEADLINE_MS,
    });
    https.maxConnections = options.maxConnections;
    https.on('request', (_req, res) => {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end(`MQTT over WebSockets is served at ${WEBSOCKET_PATH}\n`);
    });
    this.wss = new WebSocketServer({
      server: https,
      path: WEBSOCKET_PATH,
      maxPayload: MAX_PACKET_BYTES,
      handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false),
    });
    this.wss.on('connection', (ws, req: IncomingMessage) => {
      this.accept(createWebSocketStream(ws), req.socket as TLSSocket, req);
    });
    this.https = https;
    this.wsPort = await listenOn(https, options.wsPort, options.host);
  }

  /** Stops listening and closes every session (their ends are recorded by LiveSessions). */
  async close(): Promise<void> {
    await Promise.all([
      this.tls ? closeServer(this.tls) : undefined,
      this.https ? closeServer(this.https) : undefined,
      new Promise<void>((resolve) => this.broker.close(() => resolve())),
    ]);
    this.wss?.close();
  }

  get connectedClients(): number {
    return this.broker.connectedClients;
  }

  private accept(stream: Duplex, socket: TLSSocket, req?: IncomingMessage): void {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    const conn = new GuardedConnection(stream, MAX_PACKET_BYTES);
    const raw = socket.getPeerCertificate(true)?.raw;
    this.certificates.set(conn, raw && raw.length > 0 ? raw : null);
    conn.on('error', () => undefined);
    this.broker.handle(conn, req);
  }

  private async authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
  ): Promise<void> {
    const ref = identityOfClientId(client.id);
    if (!ref) throw refusal(2, 'The client id must be a device ID or deviceId/moduleId');
    if (!username || !usernameMatches(username, client.id, this.deps.hostNames))
      throw refusal(4, 'The user name must be {host}/{clientId}/?api-version=...');
    const credentials = {
      authorization: password && password.length > 0 ? password.toString('utf8') : null,
      clientCertificate: this.certificates.get(client.conn) ?? null,
    };
    if (!credentials.authorization && !credentials.clientCertificate)
      throw refusal(4, 'Send a SAS token as the password, or a client certificate');
    let generationId: string;
    try {
      const { ref: proven, access } = await this.deps.authenticator.authenticate({
        path: ref,
        ...credentials,
        now: this.deps.clock.now(),
      });
      // A module's token on a device's connection (or the reverse) is not this client's.
      if (!sameRef(proven, ref)) throw refusal(5, 'The token is for another identity');
      generationId = (access.module ?? access.device).generationId;
    } catch (error) {
      if ((error as Partial<AuthenticateError>).returnCode) throw error;
      if (isRegistryError(error) && error.code === 'IotHubUnauthorizedAccess')
        throw refusal(5, error.message);
      if (!isRegistryError(error)) this.deps.logger.error('MQTT: authentication failed', error);
      throw refusal(3, 'The service is unavailable: retry');
    }
    if (client.closed) throw refusal(3, 'The connection closed');
    const conn = client.conn;
    let session: LiveSession;
    try {
      session = await this.deps.sessions.open(ref, randomUUID(), generationId, credentials, () =>
        client.close(),
      );
    } catch (error) {
      if (!isRegistryError(error))
        this.deps.logger.error('MQTT: recording a connect failed', error);
      throw refusal(3, 'The service is unavailable: retry');
    }
    this.live.set(client, session);
    const key = refKey(ref);
    this.clients.set(key, client);
    const ended = () => {
      if (this.clients.get(key) === client) this.clients.delete(key);
      void this.deps.sessions.end(session);
    };
    if (conn.destroyed || client.closed) ended();
    else conn.once('close', ended);
  }

  private async publish(client: Client, packet: PublishPacket): Promise<void> {
    const session = this.live.get(client);
    if (!session) throw new Error('Not connected');
    // IoT Hub closes the connection of a QoS 2 publish.
    if (packet.qos === 2) throw new Error('QoS 2 is not supported');
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    if (packet.topic.startsWith('$iothub/')) return this.request(client, session, packet, payload);
    const topic = parseTelemetryTopic(packet.topic);
    if (!topic || !sameRef(topic.ref, session.ref))
      throw new Error(
        `A device publishes to devices/${session.ref.deviceId}/messages/events/ only`,
      );
    if (payload.length > MAX_MESSAGE_BYTES)
      throw new Error(`A message is at most ${MAX_MESSAGE_BYTES} bytes`);
    const bag = parsePropertyBag(topic.propertyBag);
    // Nothing is retained here (the broker would keep it): IoT Hub marks the message instead.
    if (packet.retain) {
      bag.properties['mqtt-retain'] = 'true';
      packet.retain = false;
    }
    await this.deps.ingress.accept({ path: session.ref, ...session.credentials }, () =>
      Promise.resolve([{ body: payload, ...bag }]),
    );
  }

  /**
   * A twin request or a method response. It is answered (or matched) here, once the publish is
   * acknowledged; its topic has no subscribers (none may subscribe to it), so the broker's own
   * forwarding of it reaches nobody. Any other `$iothub/` topic ends the connection.
   */
  private request(
    client: Client,
    session: LiveSession,
    packet: PublishPacket,
    payload: Buffer,
  ): Promise<void> {
    const request = parseDeviceRequestTopic(packet.topic);
    if (!request) return Promise.reject(new Error(`'${packet.topic}' is not a request topic`));
    if (payload.length > MAX_MESSAGE_BYTES)
      return Promise.reject(new Error(`A request is at most ${MAX_MESSAGE_BYTES} bytes`));
    if (request.kind === 'methodResponse') {
      this.deps.methodAnswered(session.ref, request.rid, request.status, payload);
      return Promise.resolve();
    }
    void twinReply(this.deps.twins, session.ref, request, payload, this.deps.logger).then(
      (answer) => {
        if (answer.desiredVersion !== undefined) this.showedDesired(client, answer.desiredVersion);
        this.send(client, answer, TWIN_RESPONSE_TOPICS);
      },
    );
    return Promise.resolve();
  }

  /**
   * Sends a desired-property patch to the identity's client here, if it subscribed to desired
   * updates. A patch no newer than what the client was shown (a duplicate event, one older
   * than its last GET) is not sent: IoT Hub's `$version` only rises.
   */
  pushDesired(ref: IdentityRef, patch: DesiredPatch): boolean {
    const client = this.clients.get(refKey(ref));
    if (!client || client.closed) return false;
    if ((this.desiredVersions.get(client) ?? 0) >= patch.$version) return false;
    const sent = this.send(
      client,
      {
        topic: `$iothub/twin/PATCH/properties/desired/?$version=${patch.$version}`,
        payload: Buffer.from(JSON.stringify(patch)),
      },
      DESIRED_TOPICS,
      1,
    );
    if (sent) this.showedDesired(client, patch.$version);
    return sent;
  }

  private showedDesired(client: Client, version: number): void {
    if ((this.desiredVersions.get(client) ?? 0) < version)
      this.desiredVersions.set(client, version);
  }

  /** Set by the direct methods relay: a device answered a method call. */
  onMethodResponse:
    ((ref: IdentityRef, rid: string, status: number, payload: Buffer) => void) | undefined;

  /**
   * Sends to an identity's connected client, if it subscribed to `filter`. Returns false when
   * there is no such client (not connected here, or not subscribed).
   */
  deliver(ref: IdentityRef, message: MqttReply, filter: string, qos: 0 | 1 = 0): boolean {
    const client = this.clients.get(refKey(ref));
    if (!client || client.closed) return false;
    return this.send(client, message, filter, qos);
  }

  private send(client: Client, message: MqttReply, filter: string, qos: 0 | 1 = 0): boolean {
    // IoT Hub sends nothing on a topic the device did not subscribe to.
    const held = this.subscriptions.get(client)?.get(filter);
    if (client.closed || held === undefined) return false;
    const granted = Math.min(qos, held) as 0 | 1;
    client.publish(
      {
        cmd: 'publish',
        topic: message.topic,
        payload: message.payload,
        qos: granted,
        retain: false,
        dup: false,
      },
      () => undefined,
    );
    return true;
  }
}

function listenOn(server: TlsServer | HttpsServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: TlsServer | HttpsServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
