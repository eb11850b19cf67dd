param planName string
param appName string
param location string
param tags object
param identityId string
param identityClientId string
param storageAccountName string
param blobEndpoint string
param tableEndpoint string
param queueEndpoint string
param deploymentContainerName string
param serviceBusFullyQualifiedNamespace string
param applicationInsightsConnectionString string
param secretUris object
param sendGridFromEmail string
param twilioFromNumber string
param fallbackEmail string
param maximumInstanceCount int

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { name: 'FC1', tier: 'FlexConsumption' }
  properties: { reserved: true }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: 2048
      }
      runtime: { name: 'dotnet-isolated', version: '10.0' }
    }
  }
}

// Identity-based connections only; secrets are Key Vault references, never values.
resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: app
  name: 'appsettings'
  properties: {
    AzureWebJobsStorage__accountName: storageAccountName
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identityClientId
    ServiceBus__fullyQualifiedNamespace: serviceBusFullyQualifiedNamespace
    ServiceBus__credential: 'managedidentity'
    ServiceBus__clientId: identityClientId
    AZURE_CLIENT_ID: identityClientId
    APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
    Permanence__Storage__BlobServiceUri: blobEndpoint
    Permanence__Storage__TableServiceUri: tableEndpoint
    Permanence__Storage__QueueServiceUri: queueEndpoint
    Permanence__ServiceBus__FullyQualifiedNamespace: serviceBusFullyQualifiedNamespace
    Permanence__PublicBaseUrl: 'https://${app.properties.defaultHostName}'
    Permanence__SendGrid__ApiKey: '@Microsoft.KeyVault(SecretUri=${secretUris.sendGridApiKey})'
    Permanence__SendGrid__FromEmail: sendGridFromEmail
    Permanence__Twilio__AccountSid: '@Microsoft.KeyVault(SecretUri=${secretUris.twilioAccountSid})'
    Permanence__Twilio__AuthToken: '@Microsoft.KeyVault(SecretUri=${secretUris.twilioAuthToken})'
    Permanence__Twilio__FromNumber: twilioFromNumber
    Permanence__Aircall__Tokens__0: '@Microsoft.KeyVault(SecretUri=${secretUris.aircallToken})'
    Permanence__Signing__Key: '@Microsoft.KeyVault(SecretUri=${secretUris.signingKey})'
    Permanence__ApiKeys__0__Key: '@Microsoft.KeyVault(SecretUri=${secretUris.adminApiKey})'
    Permanence__ApiKeys__0__Role: 'admin'
    Permanence__ApiKeys__0__Clients__0: '*'
    Permanence__ApiKeys__1__Key: '@Microsoft.KeyVault(SecretUri=${secretUris.operatorApiKey})'
    Permanence__ApiKeys__1__Role: 'operator'
    Permanence__ApiKeys__1__Clients__0: '*'
    Permanence__ApiKeys__2__Key: '@Microsoft.KeyVault(SecretUri=${secretUris.auditorApiKey})'
    Permanence__ApiKeys__2__Role: 'auditor'
    Permanence__ApiKeys__2__Clients__0: '*'
    Permanence__Webhooks__AllowPrivateNetworks: 'false'
    Permanence__FallbackEmail: fallbackEmail
  }
}

output name string = app.name
output uri string = 'https://${app.properties.defaultHostName}'
