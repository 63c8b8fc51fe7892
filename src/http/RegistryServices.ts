import type { JobWorker } from '../application/jobs/JobWorker';
import type { RegistryJobs } from '../application/jobs/RegistryJobs';
import type { BulkRegistry } from '../application/BulkRegistry';
import type { DeviceRegistry } from '../application/DeviceRegistry';
import type { ModuleRegistry } from '../application/ModuleRegistry';
import type { TwinRegistry } from '../application/TwinRegistry';
import type { DirectMethods } from '../application/methods/DirectMethods';
import type { TwinQueryService } from '../application/TwinQueryService';
import type { CaCertificates } from '../application/CaCertificates';
import type { Metrics } from '../ports/Metrics';
import type { SharedAccessPolicy } from '../domain/auth/SharedAccessPolicy';
import type { Clock } from '../ports/Clock';
import type { LivenessServices } from '../application/liveness/LivenessServices';
import type { DeviceMessageIngress } from '../application/device/DeviceMessageIngress';
import type { LifecycleRelay } from '../application/lifecycle/LifecycleRelay';
import type { CatalogSync } from '../application/catalog/CatalogSync';
import type { DependencyHealth } from '../application/health/DependencyHealth';
import type { HealthCheck } from '../application/health/HealthCheck';
import type { ConfigurationRegistry } from '../configurations/ConfigurationRegistry';
import type { ConfigurationContentApplier } from '../configurations/ConfigurationContentApplier';

/** What the HTTP edge needs, built once per process by the composition root. */
export interface RegistryServices {
  devices: DeviceRegistry;
  modules: ModuleRegistry;
  twins: TwinRegistry;
  /** Direct methods, carried to the MQTT endpoint instance holding the device's session. */
  methods: DirectMethods;
  queries: TwinQueryService;
  /** Automatic device management: configurations and their metrics. */
  configurations: ConfigurationRegistry;
  /** Configuration content applied to one device at once (edge deployments). */
  configurationContent: ConfigurationContentApplier;
  /** CA certificates for devices of certificateAuthority authentication. */
  certificates: CaCertificates;
  metrics: Metrics;
  bulk: BulkRegistry;
  jobs: RegistryJobs;
  jobWorker: JobWorker;
  policies: ReadonlyMap<string, SharedAccessPolicy>;
  clock: Clock;
  /** Host names tokens may be issued for, besides the one a request arrives on. */
  hostNames: readonly string[];
  liveness: LivenessServices;
  deviceIngress: DeviceMessageIngress;
  /** Publishes the outbox's lifecycle notifications (the identity container's change feed). */
  relay: LifecycleRelay;
  /** The reference lifecycle consumer: a device catalog kept equal to the registry. */
  catalog: CatalogSync;
  /** Which dependencies answer, as the service's own calls find them. */
  dependencies: DependencyHealth;
  /** `/health`: each dependency probed. */
  health: HealthCheck;
}

export type ServicesProvider = () => Promise<RegistryServices>;
