param name string
param location string
param tags object

@description('Days after which raw webhook bodies are deleted.')
param rawRetentionDays int

@description('Days after which captured email/SMS (outbox) are deleted.')
param outboxRetentionDays int

@description('Days during which reports and exports cannot be modified or deleted (time-based immutability).')
param immutabilityDays int

@description('Container the Flex Consumption plan deploys the app package from.')
param deploymentContainerName string

var dataContainers = [ 'raw', 'outbox' ]
var auditContainers = [ 'reports', 'exports', 'offboarding', 'certificates' ]
var tableNames = [ 'Contracts', 'PhoneNumbers', 'Calls', 'Messages', 'RoutingOutbox', 'Deliveries', 'Acknowledgements', 'SmsReplyCodes', 'CallsByMonth', 'MessagesByMonth', 'MonthlyJobs', 'ExportAccessLog', 'Offboardings' ]

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_ZRS' }
  properties: {
    // Identity-based access only: no account keys, no SAS signed with them.
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    accessTier: 'Hot'
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    isVersioningEnabled: true
    deleteRetentionPolicy: { enabled: true, days: 14 }
    containerDeleteRetentionPolicy: { enabled: true, days: 14 }
  }
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: { publicAccess: 'None' }
}

resource plainContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [for container in dataContainers: {
  parent: blobService
  name: container
  properties: { publicAccess: 'None' }
}]

resource auditContainersResource 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [for container in auditContainers: {
  parent: blobService
  name: container
  properties: {
    publicAccess: 'None'
    immutableStorageWithVersioning: { enabled: true }
  }
}]

// Reports, exports, offboarding packages and certificates are evidence: written once, then locked for the period.
resource auditImmutability 'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies@2023-05-01' = [for (container, i) in auditContainers: {
  parent: auditContainersResource[i]
  name: 'default'
  properties: {
    immutabilityPeriodSinceCreationInDays: immutabilityDays
    allowProtectedAppendWrites: false
  }
}]

resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'delete-raw'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: { blobTypes: [ 'blockBlob' ], prefixMatch: [ 'raw/' ] }
            actions: {
              baseBlob: { delete: { daysAfterCreationGreaterThan: rawRetentionDays } }
              version: { delete: { daysAfterCreationGreaterThan: rawRetentionDays } }
            }
          }
        }
        {
          name: 'delete-outbox'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: { blobTypes: [ 'blockBlob' ], prefixMatch: [ 'outbox/' ] }
            actions: {
              baseBlob: { delete: { daysAfterCreationGreaterThan: outboxRetentionDays } }
              version: { delete: { daysAfterCreationGreaterThan: outboxRetentionDays } }
            }
          }
        }
      ]
    }
  }
  dependsOn: [ plainContainers ]
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [for table in tableNames: {
  parent: tableService
  name: table
}]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

output id string = storage.id
output name string = storage.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output tableEndpoint string = storage.properties.primaryEndpoints.table
output queueEndpoint string = storage.properties.primaryEndpoints.queue
