/**
 * The local host's settings that make everything it starts listen on 127.0.0.1 and a free port
 * (tests never take the well-known ones: 7071, 7443, 8883, 8443, 8084, 5672, 10000-10002).
 */
export const FREE_PORTS = {
  PORT: '0',
  HTTPS_PORT: '0',
  MQTT_PORT: '0',
  MQTT_WS_PORT: '0',
  MQTT_METHODS_PORT: '0',
  EVENTHUB_PORT: '0',
  AZURITE_BLOB_PORT: '0',
  AZURITE_QUEUE_PORT: '0',
  AZURITE_TABLE_PORT: '0',
  HOST: '127.0.0.1',
} as const;
