// Permanence on Azure: the Functions app (Flex Consumption, .NET isolated 10) with one user-assigned identity,
// Storage (no shared keys), Service Bus queue "routing", Key Vault for secrets, Log Analytics + Application
// Insights. `azd up` provisions this and deploys src/Permanence.Functions (azure.yaml).
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; used in resource names and the azd-env-name tag.')
param environmentName string

@minLength(1)
@description('Azure region of every resource.')
param location string

@description('Resource group to create; rg-<environmentName> when empty.')
param resourceGroupName string = ''

@description('Days raw webhook bodies are kept (proof of receipt).')
@minValue(1)
param rawRetentionDays int = 400

@description('Days captured email/SMS in the outbox are kept.')
@minValue(1)
param outboxRetentionDays int = 90

@description('Days reports and exports stay immutable after they are written.')
@minValue(1)
param immutabilityDays int = 730

@description('Upper bound on Function App instances.')
@minValue(1)
param maximumInstanceCount int = 40

@description('Sender address of emails.')
param sendGridFromEmail string

@description('Twilio number SMS are sent from, E.164.')
param twilioFromNumber string = ''

@description('The agency supervisor told when a message could not be delivered at all.')
param fallbackEmail string

@secure()
@description('SendGrid API key (empty: emails go to the outbox container).')
param sendGridApiKey string = ''

@secure()
@description('Twilio account SID (empty: SMS go to the outbox container).')
param twilioAccountSid string = ''

@secure()
@description('Twilio auth token: sends SMS and checks X-Twilio-Signature on inbound webhooks.')
param twilioAuthToken string

@secure()
@description('Key that signs acknowledgement tokens (at least 32 characters).')
param signingKey string

@secure()
@description('API key of the admin role (at least 16 characters).')
param adminApiKey string

@secure()
@description('API key of the operator role (at least 16 characters).')
param operatorApiKey string

@secure()
@description('API key of the auditor role (at least 16 characters).')
param auditorApiKey string

@secure()
@description('Token Aircall puts in its webhook bodies.')
param aircallToken string

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var functionAppName = '${abbrs.webSitesFunctions}${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: tags
    rawRetentionDays: rawRetentionDays
    outboxRetentionDays: outboxRetentionDays
    immutabilityDays: immutabilityDays
    deploymentContainerName: deploymentContainerName
  }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'servicebus'
  scope: rg
  params: {
    name: '${abbrs.serviceBusNamespaces}${resourceToken}'
    location: location
    tags: tags
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: '${abbrs.keyVaultVaults}${resourceToken}'
    location: location
    tags: tags
    sendGridApiKey: sendGridApiKey
    twilioAccountSid: twilioAccountSid
    twilioAuthToken: twilioAuthToken
    signingKey: signingKey
    adminApiKey: adminApiKey
    operatorApiKey: operatorApiKey
    auditorApiKey: auditorApiKey
    aircallToken: aircallToken
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  scope: rg
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    serviceBusNamespaceName: serviceBus.outputs.name
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  scope: rg
  params: {
    planName: '${abbrs.webServerFarms}${resourceToken}'
    appName: functionAppName
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    blobEndpoint: storage.outputs.blobEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    deploymentContainerName: deploymentContainerName
    serviceBusFullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    secretUris: keyVault.outputs.secretUris
    sendGridFromEmail: sendGridFromEmail
    twilioFromNumber: twilioFromNumber
    fallbackEmail: fallbackEmail
    maximumInstanceCount: maximumInstanceCount
  }
  // The app must not start before its identity can read secrets and reach storage.
  dependsOn: [ roles ]
}

output AZURE_LOCATION string = location
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output PERMANENCE_API_URL string = '${functionApp.outputs.uri}/api'
