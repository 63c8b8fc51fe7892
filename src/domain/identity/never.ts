/** How IoT Hub writes a time that has not happened yet. */
export const NEVER = '0001-01-01T00:00:00Z';
