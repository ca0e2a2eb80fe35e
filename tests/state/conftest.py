"""The world the live-state tests read: the subscription, group and resources the risky ML
workspace sample is deployed over. The fixtures that serve it (the ARM emulator over HTTPS, the
stand-in `az`, the product's environment) are in tests/conftest.py, shared with tests/fixes."""
from __future__ import annotations

import os
from typing import Any

SUB = "11111111-2222-3333-4444-555555555555"
RG = "rg-mlw-prod"
TENANT = "3f9c6d2a-7b1e-4c8d-a5f0-2e6b9d1c4a77"
GROUP_ID = f"/subscriptions/{SUB}/resourceGroups/{RG}"
VAULT_ID = f"{GROUP_ID}/providers/Microsoft.KeyVault/vaults/kv-mlw-prod-001"
WORKSPACE_ID = f"{GROUP_ID}/providers/Microsoft.MachineLearningServices/workspaces/mlw-prod"
STORAGE_ID = f"{GROUP_ID}/providers/Microsoft.Storage/storageAccounts/stmlwprod001"
INSIGHTS_ID = f"{GROUP_ID}/providers/Microsoft.Insights/components/appi-mlw-prod"
REGISTRY_ID = f"{GROUP_ID}/providers/Microsoft.ContainerRegistry/registries/crmlwprod001"
LOGS_ID = f"{GROUP_ID}/providers/Microsoft.OperationalInsights/workspaces/log-mlw-prod"
ENDPOINT_ID = f"{GROUP_ID}/providers/Microsoft.Network/privateEndpoints/pe-kv-mlw-prod"
WORKSPACE_PRINCIPAL = "5b0a8f3e-2c1d-4e6f-9a7b-3c4d5e6f7a8b"
DATA_SCIENCE_GROUP = "0d6c3a91-47b2-4f85-b1e3-9a2f6c8d5e14"
CI_PRINCIPAL = "e7a41b2c-9d3f-4a6e-8c15-b2f0d7e9a361"
TEMPLATE = "templates/ml-workspace-risky/azuredeploy.json"
PARAMETERS = "templates/ml-workspace-risky/azuredeploy.parameters.json"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def risky_world() -> list[dict[str, Any]]:
    """What the subscription holds for the risky ML workspace sample, shaped like ARM's GETs: the
    workspace (system-assigned identity) and a vault whose live policies grant the workspace
    identity, a data-science group and a CI service principal."""
    system_data = {"createdBy": "ci@contoso.com", "createdByType": "Application", "createdAt": "2026-03-02T09:14:11.0000000Z"}
    return [
        {"id": GROUP_ID, "name": RG, "type": "Microsoft.Resources/resourceGroups", "location": "westeurope", "tags": {"env": "prod"}, "properties": {"provisioningState": "Succeeded"}},
        {
            "id": VAULT_ID, "name": "kv-mlw-prod-001", "type": "Microsoft.KeyVault/vaults", "location": "westeurope", "tags": {}, "systemData": system_data,
            "properties": {
                "sku": {"family": "A", "name": "standard"},
                "tenantId": TENANT,
                "accessPolicies": [
                    {"tenantId": TENANT, "objectId": WORKSPACE_PRINCIPAL, "permissions": {"keys": ["all"], "secrets": ["all"], "certificates": ["all"]}},
                    {"tenantId": TENANT, "objectId": DATA_SCIENCE_GROUP, "permissions": {"keys": [], "secrets": ["get", "list"], "certificates": ["get", "list"]}},
                    {"tenantId": TENANT, "objectId": CI_PRINCIPAL, "permissions": {"keys": ["get"], "secrets": ["get", "list", "set"], "certificates": []}},
                ],
                "enabledForDeployment": False, "enabledForDiskEncryption": False, "enabledForTemplateDeployment": False,
                "enableSoftDelete": True, "softDeleteRetentionInDays": 90, "enableRbacAuthorization": False,
                "vaultUri": "https://kv-mlw-prod-001.vault.azure.net/", "provisioningState": "Succeeded", "publicNetworkAccess": "Enabled",
            },
        },
        {
            "id": WORKSPACE_ID, "name": "mlw-prod", "type": "Microsoft.MachineLearningServices/workspaces", "location": "westeurope", "systemData": system_data,
            "sku": {"name": "Basic", "tier": "Basic"},
            "identity": {"type": "SystemAssigned", "principalId": WORKSPACE_PRINCIPAL, "tenantId": TENANT},
            "properties": {
                "friendlyName": "mlw-prod",
                "keyVault": VAULT_ID,
                "storageAccount": STORAGE_ID,
                "applicationInsights": INSIGHTS_ID.replace("Microsoft.Insights", "microsoft.insights"),  # as the RP returns it
                "containerRegistry": REGISTRY_ID,
                "hbiWorkspace": False, "publicNetworkAccess": "Enabled", "provisioningState": "Succeeded",
                "workspaceId": "8a1f4c2e-6b3d-4e9a-b7c5-1d2e3f4a5b6c", "serviceProvisionedResourceGroup": "mlw-prod_8a1f4c2e", "privateLinkCount": 0,
            },
        },
        {
            "id": STORAGE_ID, "name": "stmlwprod001", "type": "Microsoft.Storage/storageAccounts", "location": "westeurope",
            "sku": {"name": "Standard_LRS", "tier": "Standard"}, "kind": "StorageV2",
            "properties": {"minimumTlsVersion": "TLS1_2", "supportsHttpsTrafficOnly": True, "allowBlobPublicAccess": False, "accessTier": "Hot", "provisioningState": "Succeeded"},
        },
        {
            "id": INSIGHTS_ID, "name": "appi-mlw-prod", "type": "microsoft.insights/components", "location": "westeurope", "kind": "web",
            "properties": {
                "Application_Type": "web", "WorkspaceResourceId": LOGS_ID, "provisioningState": "Succeeded",
                "InstrumentationKey": "0c8e6f1a-2b3d-4c5e-9f7a-1b2c3d4e5f60",
                "ConnectionString": "InstrumentationKey=0c8e6f1a-2b3d-4c5e-9f7a-1b2c3d4e5f60;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/",
            },
        },
        {
            "id": REGISTRY_ID, "name": "crmlwprod001", "type": "Microsoft.ContainerRegistry/registries", "location": "westeurope",
            "sku": {"name": "Standard", "tier": "Standard"},
            "properties": {"adminUserEnabled": True, "loginServer": "crmlwprod001.azurecr.io", "provisioningState": "Succeeded"},
        },
        {
            "id": LOGS_ID, "name": "log-mlw-prod", "type": "Microsoft.OperationalInsights/workspaces", "location": "westeurope",
            "properties": {"sku": {"name": "PerGB2018"}, "retentionInDays": 30, "provisioningState": "Succeeded"},
        },
        {
            "id": ENDPOINT_ID, "name": "pe-kv-mlw-prod", "type": "Microsoft.Network/privateEndpoints", "location": "westeurope",
            "properties": {"provisioningState": "Succeeded"},
        },
    ]
