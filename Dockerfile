# The MQTT device endpoint (src/mqtt/main.ts), the product part Functions cannot host.
# Build: docker build -t <registry>/iot-registry-mqtt . ; settings come from the environment.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 8883 8443
CMD ["node", "dist/src/mqtt/main.js"]
