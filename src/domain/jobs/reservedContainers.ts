/**
 * Containers of the app's own storage account that hold what the Functions host and the
 * deployment need: the host's leases and keys (`azure-webjobs-hosts`, `azure-webjobs-secrets`),
 * the Event Hubs triggers' checkpoints (`azure-webjobs-eventhub`), and the deployment package
 * (`deployments` in infra/main.bicep, `app-package-*` as the portal names it for Flex
 * Consumption, `scm-releases` on Linux Consumption). A job that could write there could replace
 * the code the app runs, so none of them may ever be a job container.
 */
export const RESERVED_CONTAINERS: readonly string[] = [
  'azure-webjobs-hosts',
  'azure-webjobs-secrets',
  'azure-webjobs-eventhub',
  'deployments',
  'scm-releases',
];
const RESERVED_PREFIXES = ['azure-webjobs-', 'app-package-'];

/** Why `name` may not be a job container of the own account, or null when it may be. */
export function reservedContainerReason(name: string, checkpointContainer: string): string | null {
  if (RESERVED_CONTAINERS.includes(name) || RESERVED_PREFIXES.some((p) => name.startsWith(p)))
    return `'${name}' holds the Functions host's or the deployment's data`;
  if (name === checkpointContainer)
    return `'${name}' is EVENTHUB_CHECKPOINT_CONTAINER, the Event Hubs triggers' checkpoints`;
  return null;
}
