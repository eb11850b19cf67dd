param name string
param location string
param tags object

@secure()
param sendGridApiKey string
@secure()
param twilioAccountSid string
@secure()
param twilioAuthToken string
@secure()
param signingKey string
@secure()
param adminApiKey string
@secure()
param operatorApiKey string
@secure()
param auditorApiKey string
@secure()
param aircallToken string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
  }
}

resource sendGridSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'sendgrid-api-key'
  properties: { value: sendGridApiKey }
}

resource twilioSidSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'twilio-account-sid'
  properties: { value: twilioAccountSid }
}

resource twilioTokenSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'twilio-auth-token'
  properties: { value: twilioAuthToken }
}

resource signingSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'signing-key'
  properties: { value: signingKey }
}

resource adminKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'api-key-admin'
  properties: { value: adminApiKey }
}

resource operatorKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'api-key-operator'
  properties: { value: operatorApiKey }
}

resource auditorKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'api-key-auditor'
  properties: { value: auditorApiKey }
}

resource aircallSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'aircall-token'
  properties: { value: aircallToken }
}

output name string = vault.name
// Versionless secret URIs: app settings follow rotations (see README, "Rotating secrets").
output secretUris object = {
  sendGridApiKey: '${vault.properties.vaultUri}secrets/${sendGridSecret.name}'
  twilioAccountSid: '${vault.properties.vaultUri}secrets/${twilioSidSecret.name}'
  twilioAuthToken: '${vault.properties.vaultUri}secrets/${twilioTokenSecret.name}'
  signingKey: '${vault.properties.vaultUri}secrets/${signingSecret.name}'
  adminApiKey: '${vault.properties.vaultUri}secrets/${adminKeySecret.name}'
  operatorApiKey: '${vault.properties.vaultUri}secrets/${operatorKeySecret.name}'
  auditorApiKey: '${vault.properties.vaultUri}secrets/${auditorKeySecret.name}'
  aircallToken: '${vault.properties.vaultUri}secrets/${aircallSecret.name}'
}
