//! The resources of the generated environment in the ARM REST shape (`az resource show`): hub first, then
//! each spoke followed by its stacks. Names, addresses and GUIDs derive from the stack number only.

use serde_json::{json, Value};

use crate::environment::{GROUP, SUBSCRIPTION};

const PER_SPOKE: usize = 200;
const NAT_PER_SPOKE: usize = 5;
const HUB: &str = "Microsoft.Network/virtualNetworks/hub-vnet";

/// Azure's default rules: name, priority, access, direction, source, destination, description.
type DefaultRule = (Str, u32, Str, Str, Str, Str, Str);
type Str = &'static str;
#[rustfmt::skip]
const DEFAULT_RULES: [DefaultRule; 6] = [
    ("AllowVnetInBound", 65000, "Allow", "Inbound", "VirtualNetwork", "VirtualNetwork", "Allow inbound traffic from all VMs in VNET"),
    ("AllowAzureLoadBalancerInBound", 65001, "Allow", "Inbound", "AzureLoadBalancer", "*", "Allow inbound traffic from azure load balancer"),
    ("DenyAllInBound", 65500, "Deny", "Inbound", "*", "*", "Deny all inbound traffic"),
    ("AllowVnetOutBound", 65000, "Allow", "Outbound", "VirtualNetwork", "VirtualNetwork", "Allow outbound traffic from all VMs to all VMs in VNET"),
    ("AllowInternetOutBound", 65001, "Allow", "Outbound", "*", "Internet", "Allow outbound traffic from all VMs to Internet"),
    ("DenyAllOutBound", 65500, "Deny", "Outbound", "*", "*", "Deny all outbound traffic"),
];

/// Each stack's own rules: name, priority, access, source, port; the second one opens RDP to anyone.
const STACK_RULES: [(&str, u32, &str, &str, &str); 3] = [
    ("AllowHttpsInbound", 100, "Allow", "Internet", "443"),
    ("AllowRdpInbound", 110, "Allow", "*", "3389"),
    ("DenyWinRmInbound", 120, "Deny", "Internet", "5985-5986"),
];

/// How many resources `resources(stacks)` yields.
pub fn count(stacks: usize) -> usize {
    4 + 3 * stacks.div_ceil(PER_SPOKE) + 4 * stacks
}

/// Every resource of the environment, built as it is consumed.
pub fn resources(stacks: usize) -> impl Iterator<Item = Value> {
    let spokes = stacks.div_ceil(PER_SPOKE);
    hub(spokes).into_iter().chain((0..spokes).flat_map(move |k| {
        let members = k * PER_SPOKE..stacks.min((k + 1) * PER_SPOKE);
        spoke(k, members.len()).into_iter().chain(members.flat_map(stack))
    }))
}

/// The VM's computer name, which is also its evidence folder's name.
pub fn computer_name(i: usize) -> String {
    format!("VM{i:05}")
}

/// The full ID of a resource of the group, from its path after `providers/`.
pub fn id(path: &str) -> String {
    format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/{GROUP}/providers/{path}")
}

fn reference(path: &str) -> Value {
    json!({ "id": id(path) })
}

/// A stable GUID-shaped value for `seed` (FNV-1a, twice).
fn guid(seed: &str) -> String {
    let fnv = |basis: u64| {
        seed.bytes()
            .fold(basis, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
    };
    let (a, b) = (fnv(0xcbf2_9ce4_8422_2325), fnv(0x8422_2325_cbf2_9ce4));
    let (a1, a2, a3) = (a >> 32, (a >> 16) & 0xffff, a & 0xffff);
    format!(
        "{a1:08x}-{a2:04x}-{a3:04x}-{:04x}-{:012x}",
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

/// A resource or child resource at `path` (`Microsoft.Network/loadBalancers/lb/inboundNatRules/r`): its
/// type is the namespace and every other segment, its name the last segment.
fn resource(path: &str, properties: Value) -> Value {
    let segments: Vec<&str> = path.split('/').collect();
    let kind: Vec<&str> = std::iter::once(segments[0])
        .chain(segments.iter().skip(1).step_by(2).copied())
        .collect();
    json!({
        "etag": format!("W/\"{}\"", guid(path)),
        "id": id(path),
        "name": segments[segments.len() - 1],
        "properties": properties,
        "type": kind.join("/"),
    })
}

/// A top-level resource: a child resource with a location, tags and `extra` top-level keys (sku, kind).
fn top(path: &str, mut properties: Value, extra: Value) -> Value {
    properties["provisioningState"] = json!("Succeeded");
    properties["resourceGuid"] = json!(guid(path));
    let mut r = resource(path, properties);
    r["location"] = json!("westeurope");
    r["tags"] = json!({});
    extra
        .as_object()
        .into_iter()
        .flatten()
        .for_each(|(k, v)| r[k] = v.clone());
    r
}

fn security_rule(nsg: &str, name: &str, fields: (u32, &str, &str, &str, &str, &str, &str)) -> Value {
    let (priority, access, direction, source, destination, port, description) = fields;
    let kind = if priority >= 65000 {
        "defaultSecurityRules"
    } else {
        "securityRules"
    };
    resource(
        &format!("{nsg}/{kind}/{name}"),
        json!({
            "access": access, "description": description, "direction": direction, "priority": priority,
            "protocol": if priority >= 65000 { "*" } else { "Tcp" }, "provisioningState": "Succeeded",
            "sourceAddressPrefix": source, "sourceAddressPrefixes": [], "sourcePortRange": "*", "sourcePortRanges": [],
            "destinationAddressPrefix": destination, "destinationAddressPrefixes": [],
            "destinationPortRange": port, "destinationPortRanges": [],
        }),
    )
}

fn public_ip(path: &str, address: String, attached_to: &str) -> Value {
    let properties = json!({
        "ddosSettings": {"protectionMode": "VirtualNetworkInherited"}, "idleTimeoutInMinutes": 4,
        "ipAddress": address, "ipConfiguration": reference(attached_to), "ipTags": [],
        "publicIPAddressVersion": "IPv4", "publicIPAllocationMethod": "Static",
    });
    top(
        path,
        properties,
        json!({"sku": {"name": "Standard", "tier": "Regional"}}),
    )
}

fn subnet(vnet: &str, name: &str, prefix: &str) -> Value {
    resource(
        &format!("{vnet}/subnets/{name}"),
        json!({
            "addressPrefix": prefix, "delegations": [], "privateEndpointNetworkPolicies": "Disabled",
            "privateLinkServiceNetworkPolicies": "Enabled", "provisioningState": "Succeeded",
        }),
    )
}

fn vnet(path: &str, prefix: &str, subnets: Vec<Value>, peers: Vec<(String, String)>) -> Value {
    let own = path.rsplit('/').next().expect("a name");
    let peerings: Vec<Value> = peers
        .into_iter()
        .map(|(peer, peer_prefix)| {
            let name = format!("{own}-to-{}", peer.rsplit('/').next().expect("a name"));
            resource(
                &format!("{path}/virtualNetworkPeerings/{name}"),
                json!({
                    "allowForwardedTraffic": false, "allowGatewayTransit": false, "allowVirtualNetworkAccess": true,
                    "doNotVerifyRemoteGateways": false, "peerCompleteVnets": true, "peeringState": "Connected",
                    "peeringSyncLevel": "FullyInSync", "provisioningState": "Succeeded",
                    "remoteAddressSpace": {"addressPrefixes": [peer_prefix]},
                    "remoteVirtualNetwork": reference(&peer), "useRemoteGateways": false,
                }),
            )
        })
        .collect();
    let properties = json!({
        "addressSpace": {"addressPrefixes": [prefix]}, "enableDdosProtection": false,
        "subnets": subnets, "virtualNetworkPeerings": peerings,
    });
    top(path, properties, json!({}))
}

fn spoke_vnet(k: usize) -> (String, String) {
    (
        format!("Microsoft.Network/virtualNetworks/spoke{k:03}-vnet"),
        format!("10.{}.{}.0/24", 1 + k / 256, k % 256),
    )
}

/// The hub VNet (peered with every spoke), its Bastion and the managed domain.
fn hub(spokes: usize) -> [Value; 4] {
    let bastion = "Microsoft.Network/bastionHosts/bastion-hub";
    let pip = "Microsoft.Network/publicIPAddresses/bastion-hub-pip";
    let ipconfig = format!("{bastion}/bastionHostIpConfigurations/IpConf");
    let subnets = vec![
        subnet(HUB, "AzureBastionSubnet", "10.0.0.0/26"),
        subnet(HUB, "aadds-subnet", "10.0.1.0/24"),
    ];
    let ip_configuration = json!({
        "privateIPAllocationMethod": "Dynamic", "provisioningState": "Succeeded",
        "publicIPAddress": reference(pip), "subnet": reference(&format!("{HUB}/subnets/AzureBastionSubnet")),
    });
    let bastion_properties = json!({
        "disableCopyPaste": false, "dnsName": "bst-bench.bastion.azure.com", "enableTunneling": false,
        "ipConfigurations": [resource(&ipconfig, ip_configuration)], "scaleUnits": 2,
    });
    let domain = json!({
        "domainConfigurationType": "FullySynced", "domainName": "aadds.bench.example", "filteredSync": "Disabled",
        "domainSecuritySettings": {"ntlmV1": "Disabled", "syncNtlmPasswords": "Enabled", "tlsV1": "Disabled"},
        "ldapsSettings": {"externalAccess": "Disabled", "ldaps": "Disabled"},
        "replicaSets": [{
            "domainControllerIpAddress": ["10.0.1.4", "10.0.1.5"], "location": "West Europe",
            "replicaSetId": guid("replica"), "serviceStatus": "Running",
            "subnetId": id(&format!("{HUB}/subnets/aadds-subnet")),
        }],
        "sku": "Standard", "syncScope": "All", "version": 2,
    });
    [
        vnet(HUB, "10.0.0.0/16", subnets, (0..spokes).map(spoke_vnet).collect()),
        public_ip(pip, "20.50.0.4".into(), &ipconfig),
        top(bastion, bastion_properties, json!({"sku": {"name": "Standard"}})),
        top("Microsoft.AAD/DomainServices/aadds.bench.example", domain, json!({})),
    ]
}

/// Spoke `k` with `members` stacks: its VNet, and a public load balancer with NAT rules to the first ones.
fn spoke(k: usize, members: usize) -> [Value; 3] {
    let (path, prefix) = spoke_vnet(k);
    let lb = format!("Microsoft.Network/loadBalancers/spoke{k:03}-lb");
    let pip = format!("Microsoft.Network/publicIPAddresses/spoke{k:03}-lb-pip");
    let frontend = format!("{lb}/frontendIPConfigurations/fe");
    let nat_rules: Vec<Value> = (0..members.min(NAT_PER_SPOKE))
        .map(|slot| {
            let i = k * PER_SPOKE + slot;
            resource(
                &format!("{lb}/inboundNatRules/rdp-vm{i:05}"),
                json!({
                    "backendIPConfiguration": reference(&format!("{}/ipConfigurations/ipconfig1", nic(i))),
                    "backendPort": 3389, "enableFloatingIP": false, "enableTcpReset": false,
                    "frontendIPConfiguration": reference(&frontend), "frontendPort": 50000 + slot,
                    "idleTimeoutInMinutes": 4, "protocol": "Tcp", "provisioningState": "Succeeded",
                }),
            )
        })
        .collect();
    let fe = json!({"privateIPAllocationMethod": "Dynamic", "provisioningState": "Succeeded", "publicIPAddress": reference(&pip)});
    let lb_properties = json!({
        "backendAddressPools": [], "frontendIPConfigurations": [resource(&frontend, fe)], "inboundNatPools": [],
        "inboundNatRules": nat_rules, "loadBalancingRules": [], "outboundRules": [], "probes": [],
    });
    let workloads = subnet(&path, "workloads", &prefix);
    [
        vnet(
            &path,
            &prefix,
            vec![workloads],
            vec![(HUB.into(), "10.0.0.0/16".into())],
        ),
        public_ip(&pip, format!("20.60.{}.{}", k / 256, k % 256), &frontend),
        top(
            &lb,
            lb_properties,
            json!({"sku": {"name": "Standard", "tier": "Regional"}}),
        ),
    ]
}

fn nic(i: usize) -> String {
    format!("Microsoft.Network/networkInterfaces/vm{i:05}-nic")
}

/// Stack `i`: its NSG, public IP, NIC and Windows VM.
fn stack(i: usize) -> [Value; 4] {
    let (k, slot) = (i / PER_SPOKE, i % PER_SPOKE);
    let (nsg, nic) = (format!("Microsoft.Network/networkSecurityGroups/vm{i:05}-nsg"), nic(i));
    let pip = format!("Microsoft.Network/publicIPAddresses/vm{i:05}-pip");
    let vm = format!("Microsoft.Compute/virtualMachines/vm{i:05}");
    let ipconfig = format!("{nic}/ipConfigurations/ipconfig1");
    let rules: Vec<Value> = STACK_RULES
        .iter()
        .map(|&(name, priority, access, source, port)| {
            security_rule(&nsg, name, (priority, access, "Inbound", source, "*", port, ""))
        })
        .collect();
    let defaults: Vec<Value> = DEFAULT_RULES
        .iter()
        .map(|&(name, p, access, dir, src, dst, text)| security_rule(&nsg, name, (p, access, dir, src, dst, "*", text)))
        .collect();
    let nat: Vec<Value> = (slot < NAT_PER_SPOKE)
        .then(|| {
            reference(&format!(
                "Microsoft.Network/loadBalancers/spoke{k:03}-lb/inboundNatRules/rdp-vm{i:05}"
            ))
        })
        .into_iter()
        .collect();
    let ip_configuration = json!({
        "loadBalancerInboundNatRules": nat, "primary": true,
        "privateIPAddress": format!("10.{}.{}.{}", 1 + k / 256, k % 256, 4 + slot),
        "privateIPAddressVersion": "IPv4", "privateIPAllocationMethod": "Dynamic", "provisioningState": "Succeeded",
        "publicIPAddress": reference(&pip), "subnet": reference(&format!("{}/subnets/workloads", spoke_vnet(k).0)),
    });
    let nic_properties = json!({
        "auxiliaryMode": "None", "auxiliarySku": "None", "disableTcpStateTracking": false,
        "dnsSettings": {"appliedDnsServers": [], "dnsServers": []}, "enableAcceleratedNetworking": true,
        "enableIPForwarding": false, "hostedWorkloads": [], "ipConfigurations": [resource(&ipconfig, ip_configuration)],
        "macAddress": format!("00-22-48-{:02X}-{:02X}-{:02X}", i >> 16 & 0xff, i >> 8 & 0xff, i & 0xff),
        "networkSecurityGroup": reference(&nsg), "nicType": "Standard", "primary": true, "tapConfigurations": [],
        "virtualMachine": reference(&vm), "vnetEncryptionSupported": false,
    });
    let vm_properties = json!({
        "diagnosticsProfile": {"bootDiagnostics": {"enabled": true}},
        "hardwareProfile": {"vmSize": "Standard_D2s_v3"}, "licenseType": "Windows_Server",
        "networkProfile": {"networkInterfaces": [{"id": id(&nic), "properties": {"deleteOption": "Detach", "primary": true}}]},
        "osProfile": {
            "adminUsername": "rdsadmin", "allowExtensionOperations": true, "computerName": computer_name(i),
            "requireGuestProvisionSignal": true, "secrets": [],
            "windowsConfiguration": {
                "enableAutomaticUpdates": true, "provisionVMAgent": true,
                "patchSettings": {"assessmentMode": "ImageDefault", "enableHotpatching": false, "patchMode": "AutomaticByOS"},
            },
        },
        "storageProfile": {
            "dataDisks": [], "diskControllerType": "SCSI",
            "imageReference": {"offer": "WindowsServer", "publisher": "MicrosoftWindowsServer", "sku": "2022-datacenter-azure-edition", "version": "latest"},
            "osDisk": {
                "caching": "ReadWrite", "createOption": "FromImage", "deleteOption": "Delete", "diskSizeGB": 127,
                "managedDisk": {"storageAccountType": "Premium_LRS"}, "name": format!("vm{i:05}_OsDisk_1"), "osType": "Windows",
            },
        },
        "timeCreated": "2025-01-06T10:21:17.4410923+00:00", "vmId": guid(&vm),
    });
    let nsg_properties = json!({"defaultSecurityRules": defaults, "securityRules": rules});
    [
        top(&nsg, nsg_properties, json!({})),
        public_ip(
            &pip,
            format!("20.{}.{}.{}", 64 + i / 65536, i / 256 % 256, i % 256),
            &ipconfig,
        ),
        top(&nic, nic_properties, json!({"kind": "Regular"})),
        top(&vm, vm_properties, json!({"tags": {"rdsaudit-role": "session-host"}})),
    ]
}
