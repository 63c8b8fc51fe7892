// The registry and liveness monitor on Azure: a Function App on the Flex Consumption plan with
// a user-assigned managed identity and no account keys. Every app setting the code reads is set
// here (test/unit/infraTemplate.test.ts holds the two lists equal).
targetScope = 'resourceGroup'

@description('Prefix of every resource name (3-11 lower-case letters and digits).')
@minLength(3)
@maxLength(11)
param name string

param location string = resourceGroup().location

@description('JSON array of {keyName, primaryKey, secondaryKey, rights}: the shared access policies (kept in Key Vault).')
@secure()
param sharedAccessPolicies string

@description('Host name SAS tokens are issued for (a custom domain); empty: the app\'s own.')
param iotHubHostName string = ''

@description('Partitions of the telemetry and alerts hubs.')
param partitions int = 4

@description('Seconds a device the hub reported disconnected may stay so before it is silent; empty: until its heartbeat deadline.')
param disconnectGraceSeconds string = ''

@description('Container image of the MQTT device endpoint (built from the Dockerfile: node dist/src/mqtt/main.js).')
param mqttImage string

@description('Key Vault secret URIs of the MQTT endpoint\'s TLS certificate and key (PEM), for the hub host name.')
param mqttCertificateSecretUri string
param mqttKeySecretUri string

var suffix = uniqueString(resourceGroup().id, name)
var telemetryHub = 'telemetry'
var alertsHub = 'alerts'
var catalogGroup = 'catalog'
var mqttGroup = 'mqtt'

// ---------------------------------------------------------------------------------------------
// Identity

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${name}-id-${suffix}'
  location: location
}

// ---------------------------------------------------------------------------------------------
// Storage: the Functions host, the deployment package, the liveness map and catalog (tables),
// the job queue, and the one container import and export jobs may use in this account.

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: take('${name}st${suffix}', 24)
  location: location
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: 'deployments'
}

// The host's leases and keys, and the Event Hubs triggers' checkpoints: created here, so that
// the app's identity needs a role on these containers only, not on the account.
var hostContainerNames = [ 'azure-webjobs-hosts', 'azure-webjobs-secrets', 'azure-webjobs-eventhub' ]

resource hostContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [for container in hostContainerNames: {
  parent: blobService
  name: container
}]

// Jobs reach this account (as the app's identity, for identity-based jobs) only here:
// JOBS_OWN_ACCOUNT_CONTAINERS names it, and the code refuses every other container of the account.
resource jobContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: 'registry-jobs'
}

// ---------------------------------------------------------------------------------------------
// Cosmos DB for NoSQL, serverless, Entra ID only.

resource cosmos 'Microsoft.DocumentDB/databaseAccounts@2024-05-15' = {
  name: '${name}-cosmos-${suffix}'
  location: location
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    capabilities: [ { name: 'EnableServerless' } ]
    consistencyPolicy: { defaultConsistencyLevel: 'Session' }
    locations: [ { locationName: location, failoverPriority: 0 } ]
    disableLocalAuth: true
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-05-15' = {
  parent: cosmos
  name: 'registry'
  properties: { resource: { id: 'registry' } }
}

// Identities, twins, ledgers and the outbox share a device's partition; TTL is on with no
// default (only deleted devices' ledgers expire).
resource identities 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-05-15' = {
  parent: database
  name: 'identities'
  properties: {
    resource: {
      id: 'identities'
      partitionKey: { paths: [ '/deviceId' ], kind: 'Hash' }
      defaultTtl: -1
    }
  }
}

resource jobs 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-05-15' = {
  parent: database
  name: 'jobs'
  properties: { resource: { id: 'jobs', partitionKey: { paths: [ '/id' ], kind: 'Hash' } } }
}

resource leases 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-05-15' = {
  parent: database
  name: 'leases'
  properties: { resource: { id: 'leases', partitionKey: { paths: [ '/id' ], kind: 'Hash' } } }
}

// Cosmos DB Built-in Data Contributor: data plane only, no account management.
resource cosmosData 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-05-15' = {
  parent: cosmos
  name: guid(cosmos.id, identity.id, 'data-contributor')
  properties: {
    roleDefinitionId: '${cosmos.id}/sqlRoleDefinitions/00000000-0000-0000-0000-000000000002'
    principalId: identity.properties.principalId
    scope: cosmos.id
  }
}

// ---------------------------------------------------------------------------------------------
// Event Hubs: telemetry and lifecycle events in, alerts out.

resource eventHubs 'Microsoft.EventHub/namespaces@2024-01-01' = {
  name: '${name}-eh-${suffix}'
  location: location
  sku: { name: 'Standard', tier: 'Standard', capacity: 1 }
  properties: { disableLocalAuth: true, minimumTlsVersion: '1.2' }
}

resource telemetry 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01' = {
  parent: eventHubs
  name: telemetryHub
  properties: { partitionCount: partitions, messageRetentionInDays: 1 }
}

resource catalog 'Microsoft.EventHub/namespaces/eventhubs/consumergroups@2024-01-01' = {
  parent: telemetry
  name: catalogGroup
}

// The MQTT endpoint's own group: each instance reads every lifecycle and connection event.
resource mqttConsumers 'Microsoft.EventHub/namespaces/eventhubs/consumergroups@2024-01-01' = {
  parent: telemetry
  name: mqttGroup
}

resource alerts 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01' = {
  parent: eventHubs
  name: alertsHub
  properties: { partitionCount: partitions, messageRetentionInDays: 1 }
}

// ---------------------------------------------------------------------------------------------
// Key Vault: the shared access policies, read by the app through a Key Vault reference.

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: take('${name}-kv-${suffix}', 24)
  location: location
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
  }
}

resource policiesSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'shared-access-policies'
  properties: { value: sharedAccessPolicies }
}

// ---------------------------------------------------------------------------------------------
// Monitoring

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${name}-logs-${suffix}'
  location: location
  properties: { sku: { name: 'PerGB2018' }, retentionInDays: 30 }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${name}-ai-${suffix}'
  location: location
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
    DisableLocalAuth: true
  }
}

// ---------------------------------------------------------------------------------------------
// Role assignments: the least each service needs.

var roles = {
  blobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // the host's containers, as the Functions docs ask
  blobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe' // the deployment package, job blobs
  queueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88' // the job queue
  tableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3' // liveness map, catalog
  eventHubsDataSender: '2b629674-e913-4c01-ae53-ef4638d8f975'
  eventHubsDataReceiver: 'a638d3c7-ab3a-418d-83e6-5f17a39d4fde'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

// Queues and tables on the account; no blob role there: blob access is per container, below, so
// the identity jobs run as can never write the deployment package or the host's keys outside
// what the host itself needs.
resource storageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in [ roles.queueDataContributor, roles.tableDataContributor ]: {
  scope: storage
  name: guid(storage.id, identity.id, role)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}]

resource hostContainerRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (container, i) in hostContainerNames: {
  scope: hostContainers[i]
  name: guid(hostContainers[i].id, identity.id, roles.blobDataOwner)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.blobDataOwner)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}]

// Flex Consumption reads (and publishing writes) the package as this identity.
resource deploymentRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: deploymentContainer
  name: guid(deploymentContainer.id, identity.id, roles.blobDataContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.blobDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource jobContainerRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: jobContainer
  name: guid(jobContainer.id, identity.id, roles.blobDataContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.blobDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource eventHubRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in [ roles.eventHubsDataSender, roles.eventHubsDataReceiver ]: {
  scope: eventHubs
  name: guid(eventHubs.id, identity.id, role)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}]

resource vaultRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: vault
  name: guid(vault.id, identity.id, roles.keyVaultSecretsUser)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource insightsRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: insights
  name: guid(insights.id, identity.id, roles.monitoringMetricsPublisher)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// ---------------------------------------------------------------------------------------------
// The Function App

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: '${name}-plan-${suffix}'
  location: location
  kind: 'functionapp'
  sku: { name: 'FC1', tier: 'FlexConsumption' }
  properties: { reserved: true }
}

var clientId = identity.properties.clientId

// Every setting the code reads in Azure. Local-only settings (ports, DATA_DIR, the Event Hubs
// stand-in's) and the key-based alternatives of these connections are left out on purpose.
var appSettings = [
  // The Functions host's own storage and monitoring, by identity.
  { name: 'AzureWebJobsStorage__accountName', value: storage.name }
  { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
  { name: 'AzureWebJobsStorage__clientId', value: clientId }
  { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: insights.properties.ConnectionString }
  { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'ClientId=${clientId};Authorization=AAD' }
  // Cosmos DB: the code's client (no key: the managed identity) and the change-feed trigger.
  { name: 'COSMOS_ENDPOINT', value: cosmos.properties.documentEndpoint }
  { name: 'COSMOS_CLIENT_ID', value: clientId }
  { name: 'COSMOS_CONNECTION__accountEndpoint', value: cosmos.properties.documentEndpoint }
  { name: 'COSMOS_CONNECTION__credential', value: 'managedidentity' }
  { name: 'COSMOS_CONNECTION__clientId', value: clientId }
  { name: 'COSMOS_DATABASE', value: database.name }
  { name: 'COSMOS_CONTAINER', value: identities.name }
  { name: 'COSMOS_LEASE_CONTAINER', value: leases.name }
  { name: 'COSMOS_JOBS_CONTAINER', value: jobs.name }
  // Storage: the liveness map, the catalog, the job queue (the queue trigger too).
  { name: 'STORAGE_CONNECTION_STRING__accountName', value: storage.name }
  { name: 'STORAGE_CONNECTION_STRING__credential', value: 'managedidentity' }
  { name: 'STORAGE_CONNECTION_STRING__clientId', value: clientId }
  // Event Hubs: producers in the code, and the triggers.
  { name: 'EVENTHUB_CONNECTION__fullyQualifiedNamespace', value: '${eventHubs.name}.servicebus.windows.net' }
  { name: 'EVENTHUB_CONNECTION__credential', value: 'managedidentity' }
  { name: 'EVENTHUB_CONNECTION__clientId', value: clientId }
  { name: 'LIVENESS_EVENTHUB_NAME', value: telemetry.name }
  { name: 'ALERTS_EVENTHUB_NAME', value: alerts.name }
  { name: 'CATALOG_CONSUMER_GROUP', value: catalog.name }
  // The registry.
  { name: 'SHARED_ACCESS_POLICIES', value: '@Microsoft.KeyVault(SecretUri=${policiesSecret.properties.secretUri})' }
  { name: 'IOTHUB_HOST_NAME', value: iotHubHostName }
  { name: 'HUB_NAME', value: name }
  { name: 'MAX_MODULES_PER_DEVICE', value: '20' }
  { name: 'DEVICE_CREDENTIAL_CACHE_SECONDS', value: '60' }
  { name: 'DEVICE_MESSAGES_PER_SECOND', value: '100' }
  { name: 'DEVICE_MESSAGE_BURST', value: '200' }
  { name: 'QUERY_TIMEOUT_SECONDS', value: '10' }
  // The liveness monitor.
  { name: 'LIVENESS_TABLE', value: 'liveness' }
  { name: 'CATALOG_TABLE', value: 'devicecatalog' }
  { name: 'LIVENESS_PARTITIONS', value: '64' }
  { name: 'LIVENESS_DEFAULT_INTERVAL_SECONDS', value: '60' }
  { name: 'LIVENESS_GRACE_FACTOR', value: '2' }
  { name: 'LIVENESS_SWEEP_SCHEDULE', value: '0 */1 * * * *' }
  { name: 'LIVENESS_MAX_PIPELINE_LAG_SECONDS', value: '120' }
  { name: 'LIVENESS_TOMBSTONE_SECONDS', value: '86400' }
  { name: 'LIVENESS_DISCONNECT_GRACE_SECONDS', value: disconnectGraceSeconds }
  // Jobs.
  { name: 'JOBS_QUEUE_NAME', value: 'registry-jobs' }
  { name: 'JOBS_ALLOWED_STORAGE_HOSTS', value: '*.blob.core.windows.net' }
  { name: 'JOBS_OWN_ACCOUNT_CONTAINERS', value: jobContainer.name }
  { name: 'JOBS_MAX_ACTIVE', value: '1' }
  { name: 'JOBS_MAX_CONCURRENT', value: '4' }
  { name: 'JOBS_LEASE_SECONDS', value: '60' }
  { name: 'JOBS_SLICE_SECONDS', value: '120' }
  { name: 'JOBS_EXPORT_PAGE_SIZE', value: '2000' }
  { name: 'JOBS_IMPORT_CHUNK_LINES', value: '500' }
  { name: 'JOBS_MAX_DEQUEUE_COUNT', value: '5' }
  // The MQTT device endpoint (the container app below reads these; the Function App ignores them).
  { name: 'MQTT_PORT', value: '8883' }
  { name: 'MQTT_WS_PORT', value: '8443' }
  { name: 'MQTT_TLS_CERT_FILE', value: '/mnt/tls/cert.pem' }
  { name: 'MQTT_TLS_KEY_FILE', value: '/mnt/tls/key.pem' }
  { name: 'MQTT_CONSUMER_GROUP', value: mqttConsumers.name }
  { name: 'MQTT_SESSION_CHECK_SECONDS', value: '3' }
  { name: 'MQTT_SESSION_CHECKS_PER_SECOND', value: '500' }
  { name: 'MQTT_MAX_CONNECTIONS', value: '50000' }
  // Direct methods: the Function App calls the replica holding the session on this internal
  // port, at the address the replica records in its session (its own IPv4 in the environment).
  { name: 'MQTT_METHODS_PORT', value: '8084' }
]


resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: '${name}-func-${suffix}'
  location: location
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identity.id}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identity.id
    clientCertEnabled: true
    clientCertMode: 'OptionalInteractiveUser'
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainer.name}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      runtime: { name: 'node', version: '20' }
      scaleAndConcurrency: { maximumInstanceCount: 40, instanceMemoryMB: 2048 }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      appSettings: appSettings
    }
  }
  dependsOn: [ storageRoles, hostContainerRoles, deploymentRole, jobContainerRole, eventHubRoles, vaultRole, cosmosData, insightsRole ]
}

// ---------------------------------------------------------------------------------------------
// The MQTT device endpoint: a long-running socket server Functions cannot host, as a container
// app on the same identity and settings. TCP ingress (8883, and 443 for MQTT over WebSockets)
// passes TLS through: the endpoint terminates it, so it sees devices' client certificates.
// TCP ingress needs an environment in a virtual network; this one gets Azure's default. Not
// deployable from here: checked as text by test/unit/infraTemplate.test.ts only.

resource containerEnvironment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: '${name}-cae-${suffix}'
  location: location
  properties: {
    // Logs by the workspace's diagnostic settings: no shared key in the template.
    appLogsConfiguration: { destination: 'azure-monitor' }
  }
}

resource mqttApp 'Microsoft.App/containerApps@2024-03-01' = {
  name: '${name}-mqtt-${suffix}'
  location: location
  identity: { type: 'UserAssigned', userAssignedIdentities: { '${identity.id}': {} } }
  properties: {
    managedEnvironmentId: containerEnvironment.id
    configuration: {
      ingress: {
        external: true
        transport: 'tcp'
        targetPort: 8883
        exposedPort: 8883
        additionalPortMappings: [
          { external: true, targetPort: 8443, exposedPort: 443 }
          { external: false, targetPort: 8084, exposedPort: 8084 }
        ]
      }
      secrets: [
        { name: 'policies', keyVaultUrl: policiesSecret.properties.secretUri, identity: identity.id }
        { name: 'tls-cert', keyVaultUrl: mqttCertificateSecretUri, identity: identity.id }
        { name: 'tls-key', keyVaultUrl: mqttKeySecretUri, identity: identity.id }
      ]
    }
    template: {
      containers: [
        {
          name: 'mqtt'
          image: mqttImage
          resources: { cpu: json('1.0'), memory: '2Gi' }
          // The Functions app settings, the policies as a Container Apps secret, all interfaces.
          env: concat(
            [for s in appSettings: s.name == 'SHARED_ACCESS_POLICIES' ? { name: s.name, secretRef: 'policies' } : s],
            [ { name: 'HOST', value: '0.0.0.0' } ]
          )
          volumeMounts: [ { volumeName: 'tls', mountPath: '/mnt/tls' } ]
        }
      ]
      volumes: [
        {
          name: 'tls'
          storageType: 'Secret'
          secrets: [ { secretRef: 'tls-cert', path: 'cert.pem' }, { secretRef: 'tls-key', path: 'key.pem' } ]
        }
      ]
      // Sessions move between replicas by takeover; a replica's crash is repaired when it restarts.
      scale: { minReplicas: 1, maxReplicas: 4 }
    }
  }
  dependsOn: [ vaultRole, eventHubRoles, cosmosData, storageRoles ]
}

output functionAppName string = app.name
output mqttHost string = mqttApp.properties.configuration.ingress.fqdn
output registryUrl string = 'https://${app.properties.defaultHostName}'
output cosmosEndpoint string = cosmos.properties.documentEndpoint
output eventHubsNamespace string = '${eventHubs.name}.servicebus.windows.net'
