use super::*;
use crate::locate::locate_pointers;
use serde_json::json;

/// Modelled on a real `az group export` (apiVersion 2024-01-01): names in parameter defaults, rules and
/// subnets both inline and as child resources, references as `resourceId()` expressions.
const EXPORT: &str = r#"{
    "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    "contentVersion": "1.0.0.0",
    "parameters": {
        "networkSecurityGroups_nsg_rds_name": { "defaultValue": "nsg-rds", "type": "String" },
        "virtualNetworks_vnet_aadds_name": { "defaultValue": "vnet-aadds", "type": "String" },
        "publicIPAddresses_pip_rdgw_name": { "defaultValue": "pip-rdgw", "type": "String" },
        "networkInterfaces_nic_rdgw_name": { "defaultValue": "nic-rdgw", "type": "String" },
        "virtualMachines_rdgw_name": { "type": "String" }
    },
    "variables": { "workloadsSubnet": "workloads" },
    "resources": [
        {
            "type": "Microsoft.Network/networkSecurityGroups",
            "apiVersion": "2024-01-01",
            "name": "[parameters('networkSecurityGroups_nsg_rds_name')]",
            "location": "westeurope",
            "tags": { "rdsaudit-ignore": "RDS003: jump host" },
            "properties": {
                "securityRules": [
                    {
                        "name": "RDP",
                        "id": "[resourceId('Microsoft.Network/networkSecurityGroups/securityRules', parameters('networkSecurityGroups_nsg_rds_name'), 'RDP')]",
                        "type": "Microsoft.Network/networkSecurityGroups/securityRules",
                        "properties": {
                            "protocol": "TCP",
                            "sourcePortRange": "*",
                            "destinationPortRange": "3389",
                            "sourceAddressPrefix": "*",
                            "destinationAddressPrefix": "*",
                            "access": "Allow",
                            "priority": 100,
                            "direction": "Inbound",
                            "sourcePortRanges": [],
                            "destinationPortRanges": [],
                            "sourceAddressPrefixes": [],
                            "destinationAddressPrefixes": []
                        }
                    }
                ]
            }
        },
        {
            "type": "Microsoft.Network/networkSecurityGroups/securityRules",
            "apiVersion": "2024-01-01",
            "name": "[concat(parameters('networkSecurityGroups_nsg_rds_name'), '/RDP')]",
            "dependsOn": [
                "[resourceId('Microsoft.Network/networkSecurityGroups', parameters('networkSecurityGroups_nsg_rds_name'))]"
            ],
            "properties": { "protocol": "TCP", "destinationPortRange": "3389", "access": "Allow", "priority": 100, "direction": "Inbound" }
        },
        {
            "type": "Microsoft.Network/virtualNetworks",
            "apiVersion": "2024-01-01",
            "name": "[parameters('virtualNetworks_vnet_aadds_name')]",
            "location": "westeurope",
            "properties": {
                "addressSpace": { "addressPrefixes": [ "10.0.0.0/16" ] },
                "subnets": [
                    {
                        "name": "[variables('workloadsSubnet')]",
                        "id": "[resourceId('Microsoft.Network/virtualNetworks/subnets', parameters('virtualNetworks_vnet_aadds_name'), variables('workloadsSubnet'))]",
                        "properties": {
                            "addressPrefix": "10.0.1.0/24",
                            "networkSecurityGroup": { "id": "[resourceId('Microsoft.Network/networkSecurityGroups', parameters('networkSecurityGroups_nsg_rds_name'))]" }
                        },
                        "type": "Microsoft.Network/virtualNetworks/subnets"
                    }
                ]
            },
            "resources": [
                {
                    "type": "subnets",
                    "apiVersion": "2024-01-01",
                    "name": "AzureBastionSubnet",
                    "properties": { "addressPrefix": "10.0.2.0/26" }
                }
            ]
        },
        {
            "type": "Microsoft.Network/virtualNetworks/subnets",
            "apiVersion": "2024-01-01",
            "name": "[concat(parameters('virtualNetworks_vnet_aadds_name'), '/workloads')]",
            "dependsOn": [ "[resourceId('Microsoft.Network/virtualNetworks', parameters('virtualNetworks_vnet_aadds_name'))]" ],
            "properties": { "addressPrefix": "10.0.1.0/24" }
        },
        {
            "type": "Microsoft.Network/publicIPAddresses",
            "apiVersion": "2024-01-01",
            "name": "[parameters('publicIPAddresses_pip_rdgw_name')]",
            "sku": { "name": "Standard", "tier": "Regional" },
            "properties": { "publicIPAllocationMethod": "Static", "ipAddress": "20.1.2.3" }
        },
        {
            "type": "Microsoft.Network/networkInterfaces",
            "apiVersion": "2024-01-01",
            "name": "[parameters('networkInterfaces_nic_rdgw_name')]",
            "properties": {
                "ipConfigurations": [
                    {
                        "name": "ipconfig1",
                        "properties": {
                            "privateIPAddress": "10.0.1.4",
                            "publicIPAddress": { "id": "[resourceId('Microsoft.Network/publicIPAddresses', parameters('publicIPAddresses_pip_rdgw_name'))]" },
                            "subnet": { "id": "[resourceId('Microsoft.Network/virtualNetworks/subnets', parameters('virtualNetworks_vnet_aadds_name'), 'workloads')]" },
                            "primary": true
                        }
                    }
                ]
            }
        },
        {
            "type": "Microsoft.Compute/virtualMachines",
            "apiVersion": "2024-03-01",
            "name": "[parameters('virtualMachines_rdgw_name')]",
            "properties": {
                "storageProfile": { "imageReference": { "publisher": "MicrosoftWindowsServer", "offer": "WindowsServer", "sku": "2019-Datacenter", "version": "latest" } },
                "networkProfile": { "networkInterfaces": [ { "id": "[resourceId('Microsoft.Network/networkInterfaces', parameters('networkInterfaces_nic_rdgw_name'))]" } ] },
                "osProfile": { "computerName": "[[literal]", "adminUsername": "[resourceGroup().name]" }
            }
        }
    ]
}"#;

const PREFIX: &str = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/";

/// A scan without linked files.
struct NoFiles;

impl Files for NoFiles {
    fn linked(&mut self, _: usize, relative: &str) -> Result<(usize, Value), String> {
        Err(format!("{relative} is not here"))
    }
}

fn expand_alone(root: &Value) -> Result<Vec<TemplateResource>, TemplateError> {
    expand(root, BTreeMap::new(), "azuredeploy", &mut NoFiles).map(|e| e.resources)
}

fn expanded() -> Vec<TemplateResource> {
    let root: Value = serde_json::from_str(EXPORT).unwrap();
    expand_alone(&root).unwrap()
}

fn find<'r>(resources: &'r [TemplateResource], pointer: &str) -> &'r Value {
    &resources
        .iter()
        .find(|r| r.pointer == pointer)
        .unwrap_or_else(|| panic!("no resource at {pointer}"))
        .value
}

#[test]
fn recognises_templates() {
    let root: Value = serde_json::from_str(EXPORT).unwrap();
    assert!(is_template(&root));
    assert!(!is_template(
        &json!({"$schema": "x/deploymentTemplate.json#", "resources": "x"})
    ));
    assert!(!is_template(
        &json!({"$schema": "x/deploymentParameters.json#", "resources": []})
    ));
    assert!(!is_template(&json!({"resources": []})));
    assert!(!is_template(&json!([])));
}

#[test]
fn resources_in_file_order_with_nested_children_after_parent() {
    let pointers: Vec<String> = expanded().into_iter().map(|r| r.pointer).collect();
    assert_eq!(
        pointers,
        [
            "/resources/0",
            "/resources/1",
            "/resources/2",
            "/resources/2/resources/0",
            "/resources/3",
            "/resources/4",
            "/resources/5",
            "/resources/6"
        ]
    );
}

#[test]
fn nsg_with_inline_rule_is_rest_shaped() {
    let all = expanded();
    let nsg = find(&all, "/resources/0");
    assert_eq!(nsg["name"], "nsg-rds");
    assert_eq!(
        nsg["id"],
        format!("{PREFIX}Microsoft.Network/networkSecurityGroups/nsg-rds")
    );
    assert_eq!(nsg["tags"]["rdsaudit-ignore"], "RDS003: jump host");
    let rule = &nsg["properties"]["securityRules"][0];
    assert_eq!(
        rule["id"],
        format!("{PREFIX}Microsoft.Network/networkSecurityGroups/nsg-rds/securityRules/RDP")
    );
    assert_eq!(rule["properties"]["protocol"], "TCP");
    assert_eq!(rule["properties"]["priority"], 100);
    assert_eq!(rule["properties"]["sourcePortRanges"], json!([]));
    let keys: Vec<&str> = nsg.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["type", "apiVersion", "name", "location", "tags", "properties", "id"]
    );
}

#[test]
fn separate_rule_resource_gets_the_same_id_as_the_inline_rule() {
    let all = expanded();
    let rule = find(&all, "/resources/1");
    assert_eq!(rule["type"], "Microsoft.Network/networkSecurityGroups/securityRules");
    assert_eq!(rule["name"], "nsg-rds/RDP");
    assert_eq!(
        rule["id"],
        find(&all, "/resources/0")["properties"]["securityRules"][0]["id"]
    );
    assert!(rule.get("dependsOn").is_none());
}

#[test]
fn vnet_subnets_inline_nested_and_separate() {
    let all = expanded();
    let vnet = find(&all, "/resources/2");
    assert!(vnet.get("resources").is_none());
    let inline = &vnet["properties"]["subnets"][0];
    assert_eq!(inline["name"], "workloads");
    let workloads_id = format!("{PREFIX}Microsoft.Network/virtualNetworks/vnet-aadds/subnets/workloads");
    assert_eq!(inline["id"], workloads_id);
    assert_eq!(
        inline["properties"]["networkSecurityGroup"]["id"],
        find(&all, "/resources/0")["id"]
    );
    assert_eq!(find(&all, "/resources/3")["id"], workloads_id);

    let nested = find(&all, "/resources/2/resources/0");
    assert_eq!(nested["type"], "Microsoft.Network/virtualNetworks/subnets");
    assert_eq!(nested["name"], "vnet-aadds/AzureBastionSubnet");
    assert_eq!(
        nested["id"],
        format!("{PREFIX}Microsoft.Network/virtualNetworks/vnet-aadds/subnets/AzureBastionSubnet")
    );
}

#[test]
fn nic_references_resolve_to_the_referenced_ids() {
    let all = expanded();
    let config = &find(&all, "/resources/5")["properties"]["ipConfigurations"][0]["properties"];
    assert_eq!(config["publicIPAddress"]["id"], find(&all, "/resources/4")["id"]);
    assert_eq!(config["subnet"]["id"], find(&all, "/resources/3")["id"]);
    assert_eq!(config["primary"], true);
    assert_eq!(find(&all, "/resources/4")["sku"]["name"], "Standard");
}

#[test]
fn unresolved_values_are_marked_not_guessed() {
    let all = expanded();
    let vm = find(&all, "/resources/6");
    // A name without a value is symbolic: the resource is kept, named by the expression.
    assert_eq!(vm["name"], "{parameters('virtualMachines_rdgw_name')}");
    assert_eq!(
        vm["id"],
        format!("{PREFIX}Microsoft.Compute/virtualMachines/{{parameters('virtualMachines_rdgw_name')}}")
    );
    let os = &vm["properties"]["osProfile"];
    assert_eq!(os["computerName"], "[literal]");
    assert_eq!(os["adminUsername"]["$unresolved"], "{resourceGroup}");
    assert_eq!(
        vm["properties"]["networkProfile"]["networkInterfaces"][0]["id"],
        find(&all, "/resources/5")["id"]
    );
}

#[test]
fn pointers_still_address_the_file() {
    let root: Value = serde_json::from_str(EXPORT).unwrap();
    for resource in expand_alone(&root).unwrap() {
        let original = root.pointer(&resource.pointer).unwrap();
        let span = locate_pointers(EXPORT, &[&resource.pointer])[0].clone().unwrap();
        assert_eq!(&serde_json::from_str::<Value>(&EXPORT[span]).unwrap(), original);
        let mut leaves = Vec::new();
        leaf_pointers(original, String::new(), &mut leaves);
        for leaf in leaves {
            let kept = ["/dependsOn", "/resources", "/type", "/name"];
            if kept.iter().any(|k| leaf.starts_with(k)) {
                continue;
            }
            let before = original.pointer(&leaf).unwrap();
            let after = resource.value.pointer(&leaf);
            let after = after.unwrap_or_else(|| panic!("{}{leaf} lost", resource.pointer));
            if !before.is_string() {
                assert_eq!(after, before, "{}{leaf}", resource.pointer);
            }
        }
    }
}

fn leaf_pointers(value: &Value, at: String, out: &mut Vec<String>) {
    let children: Vec<(String, &Value)> = match value {
        Value::Object(map) => map.iter().map(|(k, v)| (escape_token(k).into_owned(), v)).collect(),
        Value::Array(items) => items.iter().enumerate().map(|(i, v)| (i.to_string(), v)).collect(),
        _ => return out.push(at),
    };
    for (token, child) in children {
        leaf_pointers(child, format!("{at}/{token}"), out);
    }
}

#[test]
fn syntax_errors_reject_only_fields_the_rules_read() {
    let root = json!({
        "$schema": "deploymentTemplate.json#",
        "resources": [{"type": "Microsoft.Network/networkSecurityGroups", "name": "n",
            "properties": {"a/b": [0, "[concat('x']"], "settings": {"key": "[Application_Insights_Key]"}}}]
    });
    let all = expand_alone(&root).unwrap();
    let kept = &all[0].value["properties"];
    assert_eq!(kept["a/b"][1]["$unresolved"], "[concat('x']");
    assert!(kept["settings"]["key"]["reason"]
        .as_str()
        .unwrap()
        .contains("expected '('"));

    let root = json!({
        "resources": [{"type": "Microsoft.Network/networkSecurityGroups", "name": "n",
            "properties": {"securityRules": [{"name": "r", "properties": {"destinationPortRange": "[concat('x']"}}]}}]
    });
    let err = expand_alone(&root).unwrap_err();
    assert_eq!(
        err.to_string(),
        "/resources/0/properties/securityRules/0/properties/destinationPortRange: invalid template expression at offset 11: missing ')' for 'concat('"
    );
    let root = json!({"resources": [{"type": "Microsoft.Network/x", "name": "[bad"}, {"name": "[)]"}]});
    assert_eq!(expand_alone(&root).unwrap_err().pointer, "/resources/1/name");
}

#[test]
fn odd_resources_degrade_to_unresolved_ids() {
    let root = json!({"resources": [
        42,
        {"type": "Microsoft.Network/networkSecurityGroups/securityRules", "name": "rdp"},
        {"name": "x"},
        {"type": "[parameters('missing')]", "name": "p", "id": "ignored",
            "resources": [{"type": "subnets", "name": "s"}]},
        {"type": "Microsoft.Network/virtualNetworks", "name": "[parameters('missing')]",
            "resources": [{"type": "subnets", "name": "s"},
                          {"type": "Microsoft.Network/virtualNetworks/subnets", "name": "v/full"}]},
        {"type": "Microsoft.Network/virtualNetworks", "name": "[parameters('count')]"}
    ], "parameters": {"count": {"defaultValue": 3}}});
    let all = expand_alone(&root).unwrap();
    assert_eq!(all.len(), 8, "the non-object resource is skipped");
    let rule = find(&all, "/resources/1");
    assert_eq!(rule["name"], "rdp");
    assert_eq!(rule["id"]["$unresolved"], "rdp");
    assert!(rule["id"]["reason"]
        .as_str()
        .unwrap()
        .contains("needs 2 name(s), got 1"));
    assert_eq!(
        find(&all, "/resources/2")["id"]["reason"],
        "resource has no string 'type'"
    );
    let untyped = find(&all, "/resources/3");
    assert_eq!(untyped["type"]["$unresolved"], "[parameters('missing')]");
    assert_eq!(untyped["id"]["$unresolved"], "p");
    let orphan = find(&all, "/resources/3/resources/0");
    assert!(orphan["type"]["reason"]
        .as_str()
        .unwrap()
        .starts_with("parent type is unresolved"));
    let child = find(&all, "/resources/4/resources/0");
    assert_eq!(child["type"], "Microsoft.Network/virtualNetworks/subnets");
    assert_eq!(child["name"]["$unresolved"], "s");
    assert!(child["name"]["reason"]
        .as_str()
        .unwrap()
        .starts_with("parent name is unresolved"));
    assert_eq!(child["id"], child["name"]);
    let full = find(&all, "/resources/4/resources/1");
    assert_eq!(
        full["id"],
        format!("{PREFIX}Microsoft.Network/virtualNetworks/v/subnets/full")
    );
    assert!(find(&all, "/resources/5")["name"]["reason"]
        .as_str()
        .unwrap()
        .contains("non-string"));
    assert!(expand_alone(&json!({"resources": {}})).unwrap().is_empty());
}
