<#
.SYNOPSIS
    Collects the Windows host evidence that rdsaudit reads: RD licensing mode, roles, NPS policies,
    IAS service SID type, Entra MFA NPS extension settings and AD registration of NPS.

.DESCRIPTION
    Reads, on the machine it runs on:
      - Win32_OperatingSystem (caption, version, build) and the installed Windows features;
      - the registry keys
          HKLM\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services      (licensing policy)
          HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server\RCM\Licensing Core
          HKLM\SYSTEM\CurrentControlSet\Services\IAS                         (NPS service)
          HKLM\SYSTEM\CurrentControlSet\Services\AuthSrv\Parameters          (NPS extension DLLs)
          HKLM\SOFTWARE\Microsoft\AzureMfa                                   (MFA NPS extension);
      - `sc.exe qsidtype IAS`, `netsh nps show registeredserver`, `netsh nps export`;
      - the members of the domain group "RAS and IAS Servers" through ADSI (no AD module needed).

    It changes nothing: no service, firewall, NPS or registry setting is written. Its only writes are
    the evidence files in <OutDir>\<COMPUTERNAME>\ (a stale copy of an evidence file from an earlier
    run is replaced or removed) and one temporary NPS export under $env:TEMP, deleted before the
    script ends.

    Secrets: `netsh nps export` insists on exportPSK=YES and so writes RADIUS shared secrets in
    clear. The collector exports to $env:TEMP, replaces the value of every element and attribute
    whose name contains "secret" (any case) with REDACTED, writes only the redacted document and
    deletes the temporary export. The -Summary output never contains a secret.

    Default mode writes, into <OutDir>\<COMPUTERNAME>\: os.json, features.json, licensing-policy.reg,
    licensing-core.reg, ias-service.reg, authsrv-parameters.reg, azuremfa.reg, sc-qsidtype-ias.txt,
    nps-registeredserver.txt, ras-and-ias-servers.json, nps-config.xml and manifest.json (one item
    per file: ok, absent - the key, service, group or feature does not exist, file not written - or
    error with its message), then prints the manifest.

    -Summary writes no file and prints one compact JSON document (under 4 KB, for VM Run Command,
    which returns only the last 4 KB of output) with just the values rdsaudit's rules read, as
    described by schemas/host-summary.schema.json.

    Windows PowerShell 5.1 on Windows Server 2016 or later; run elevated (Run Command runs as
    SYSTEM). Uses only what Windows Server ships (ServerManager's Get-WindowsFeature; the NPS
    module's Export-NpsConfiguration only as a fallback when NPAS is installed).

.PARAMETER OutDir
    Folder that receives the <COMPUTERNAME> evidence folder. Default: the current folder.

.PARAMETER Summary
    Print the host summary JSON instead of writing files.

.EXAMPLE
    powershell.exe -NoProfile -ExecutionPolicy Bypass -File .\rdsaudit-collect.ps1 -OutDir C:\evidence
    Writes C:\evidence\NPSVM01\*.json|*.reg|*.txt|*.xml and prints the manifest.

.EXAMPLE
    .\rdsaudit-collect.ps1 -Summary | Out-File -Encoding ascii host-summary.json
    Prints the host summary (pure ASCII JSON) and saves it.

.EXAMPLE
    az vm run-command invoke -g rg -n NPSVM01 --command-id RunPowerShellScript --scripts @collect/rdsaudit-collect.ps1 --parameters "Summary=true"
    Runs the summary mode through VM Run Command.
#>
param([string]$OutDir = '.', [switch]$Summary)

Set-StrictMode -Version 2
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'   # Get-WindowsFeature's progress bar must not reach the output

$CollectorVersion = '1.0.0'
$SummarySchemaId = 'rdsaudit-host-summary/1'
$SummaryMaxBytes = 4000                    # Run Command keeps only the last 4096 bytes of output
$RoleFeatures = @('RDS-RD-Server', 'RDS-Gateway', 'RDS-Connection-Broker', 'RDS-Web-Access', 'RDS-Licensing', 'NPAS')
$System32 = Join-Path $env:SystemRoot 'System32'
$RegExe = Join-Path $System32 'reg.exe'
$ScExe = Join-Path $System32 'sc.exe'
$NetshExe = Join-Path $System32 'netsh.exe'
$Utf8NoBom = New-Object System.Text.UTF8Encoding $false
$ComputerName = $env:COMPUTERNAME
if (-not $ComputerName) { $ComputerName = [Environment]::MachineName }
$CollectedAt = [DateTime]::UtcNow.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'Z'", [Globalization.CultureInfo]::InvariantCulture)
$InstalledFeatureNames = $null             # set once Get-WindowsFeature has been read

# VM Run Command passes every parameter as "-Name value" strings, so "Summary=true" arrives as
# "-Summary true": the switch is set and "true" lands in $OutDir (or in $args when OutDir is named).
if ($Summary) {
    $runCommandValue = $null
    if ($OutDir -match '^\$?(true|false|1|0)$') { $runCommandValue = $OutDir; $OutDir = '.' }
    elseif ($args.Length -gt 0 -and [string]$args[0] -match '^\$?(true|false|1|0)$') { $runCommandValue = [string]$args[0] }
    if ($runCommandValue -match '^\$?(false|0)$') { $Summary = [switch]$false }
}
if ($Summary) {
    # Warnings would reach standard output ahead of the JSON document (the console host prints them).
    $WarningPreference = 'SilentlyContinue'
}

# Windows PowerShell 5.1 serializes some arrays as {"value": [...], "Count": n} because of the ETS
# Count property on System.Array; dropping that type data (this session only) keeps JSON arrays plain.
if ($PSVersionTable.PSVersion.Major -lt 6) {
    try { Remove-TypeData -TypeName System.Array -ErrorAction Stop } catch { }
}

$OutRoot = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($OutDir)

# A 32-bit PowerShell on 64-bit Windows sees the WOW64 registry view: run again as 64-bit.
if ([Environment]::Is64BitOperatingSystem -and -not [Environment]::Is64BitProcess -and $PSCommandPath) {
    $nativePowerShell = Join-Path $env:SystemRoot 'Sysnative\WindowsPowerShell\v1.0\powershell.exe'
    if (Test-Path -LiteralPath $nativePowerShell) {
        $relaunch = @('-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', $PSCommandPath, '-OutDir', $OutRoot)
        if ($Summary) { $relaunch += '-Summary' }
        & $nativePowerShell @relaunch
        exit $LASTEXITCODE
    }
}

# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------

function Write-Utf8File([string]$Path, [string]$Text) {
    [System.IO.File]::WriteAllText($Path, $Text, $Utf8NoBom)
}

function Write-Diagnostic([string]$Message) {
    # Standard error: kept apart from the summary JSON on standard output.
    [Console]::Error.WriteLine("rdsaudit-collect: $Message")
}

# Run a console program; stderr is merged into the output and never becomes a terminating error.
function Invoke-Native([string]$FilePath, [string[]]$ArgumentList) {
    $ErrorActionPreference = 'Continue'
    $output = & $FilePath @ArgumentList 2>&1
    $exitCode = $LASTEXITCODE
    $lines = New-Object System.Collections.Generic.List[string]
    foreach ($item in $output) { $lines.Add([string]$item) }
    $text = ''
    if ($lines.Count -gt 0) { $text = ($lines.ToArray() -join "`r`n") + "`r`n" }
    return @{ ExitCode = $exitCode; Output = $text }
}

# Whether HKLM\<SubKey> exists (64-bit view in a 64-bit process; opened read-only).
function Test-HklmKey([string]$SubKey) {
    $key = [Microsoft.Win32.Registry]::LocalMachine.OpenSubKey($SubKey, $false)
    if ($null -eq $key) { return $false }
    $key.Close()
    return $true
}

function ConvertTo-IntOrNull($Value) {
    if ($null -eq $Value) { return $null }
    if ($Value -is [int] -or $Value -is [long] -or $Value -is [uint32]) { return [long]$Value }
    $parsed = [long]0
    if ([long]::TryParse(([string]$Value).Trim(), [Globalization.NumberStyles]::Integer, [Globalization.CultureInfo]::InvariantCulture, [ref]$parsed)) {
        return $parsed
    }
    return $null
}

function ConvertTo-BoolOrNull($Value) {
    if ($null -eq $Value) { return $null }
    switch (([string]$Value).Trim().ToLowerInvariant()) {
        '1' { return $true }
        'true' { return $true }
        '0' { return $false }
        'false' { return $false }
    }
    return $null
}

# A registry value as a string array (REG_MULTI_SZ, or REG_SZ as one item), empty entries dropped.
function ConvertTo-StringArray($Value) {
    $list = New-Object System.Collections.Generic.List[string]
    foreach ($item in @($Value)) {
        if ($null -ne $item -and ([string]$item).Trim() -ne '') { $list.Add([string]$item) }
    }
    return , $list.ToArray()
}

# Values of HKLM\<SubKey> through Get-ItemProperty: @{ Read = 'ok'|'absent'; Data = @{ name = value|$null } }.
function Read-RegistryValues([string]$SubKey, [string[]]$Names) {
    $values = @{}
    foreach ($name in $Names) { $values[$name] = $null }
    if (-not (Test-HklmKey $SubKey)) { return @{ Read = 'absent'; Data = $values } }
    $item = Get-ItemProperty -LiteralPath ('HKLM:\' + $SubKey)
    if ($null -ne $item) {
        foreach ($name in $Names) {
            $property = $item.PSObject.Properties[$name]
            if ($null -ne $property) { $values[$name] = $property.Value }
        }
    }
    return @{ Read = 'ok'; Data = $values }
}

function Get-OsInfo {
    return Get-CimInstance -ClassName Win32_OperatingSystem | Select-Object -Property 'CSName', 'Caption', 'Version', 'BuildNumber'
}

# Installed features as Name/DisplayName objects; remembers their names for Test-NpasInstalled.
function Get-InstalledFeatures {
    if (-not (Get-Command -Name Get-WindowsFeature -ErrorAction SilentlyContinue)) {
        throw 'Get-WindowsFeature is not available (ServerManager module; Windows Server only)'
    }
    $features = @(Get-WindowsFeature | Where-Object { $_.Installed } | Select-Object -Property 'Name', 'DisplayName')
    $names = New-Object System.Collections.Generic.List[string]
    foreach ($feature in $features) { $names.Add([string]$feature.Name) }
    $script:InstalledFeatureNames = $names.ToArray()
    return , $features
}

function Test-NpasInstalled {
    if ($null -ne $script:InstalledFeatureNames) { return ($script:InstalledFeatureNames -contains 'NPAS') }
    # Features could not be read: the NPS service (IAS) exists only when NPAS is installed.
    return ($null -ne (Get-Service -Name IAS -ErrorAction SilentlyContinue))
}

# `sc.exe qsidtype IAS`: @{ ExitCode; Output }; 1060 = the service does not exist.
function Invoke-ScQsidtype {
    return Invoke-Native $ScExe @('qsidtype', 'IAS')
}

function Test-ServiceMissing($Result) {
    return ($Result.ExitCode -eq 1060 -or $Result.Output -match 'FAILED 1060')
}

# Members of "RAS and IAS Servers" through ADSI:
# @{ Read = 'ok'|'absent'; Message; Members = [Name, SamAccountName, objectClass][] }.
function Get-RasAndIasServersMembers {
    if (-not (Get-CimInstance -ClassName Win32_ComputerSystem).PartOfDomain) {
        return @{ Read = 'absent'; Message = 'the computer is not joined to a domain'; Members = $null }
    }
    $searcher = [adsisearcher]'(&(objectCategory=group)(sAMAccountName=RAS and IAS Servers))'
    $null = $searcher.PropertiesToLoad.Add('member')
    $group = $searcher.FindOne()
    if ($null -eq $group) {
        return @{ Read = 'absent'; Message = 'the group "RAS and IAS Servers" does not exist in the domain'; Members = $null }
    }
    $members = New-Object System.Collections.Generic.List[object]
    foreach ($dn in $group.Properties['member']) {
        $dn = [string]$dn
        $name = $null; $sam = $null; $class = $null
        try {
            # ADsPath needs "/" escaped; the DN's own escapes stay as they are.
            $memberSearcher = New-Object System.DirectoryServices.DirectorySearcher
            $memberSearcher.SearchRoot = New-Object System.DirectoryServices.DirectoryEntry ('LDAP://' + $dn.Replace('/', '\/'))
            $memberSearcher.SearchScope = [System.DirectoryServices.SearchScope]::Base
            $memberSearcher.Filter = '(objectClass=*)'
            foreach ($attribute in @('name', 'sAMAccountName', 'objectClass')) { $null = $memberSearcher.PropertiesToLoad.Add($attribute) }
            $entry = $memberSearcher.FindOne()
            if ($null -ne $entry) {
                foreach ($v in $entry.Properties['name']) { $name = [string]$v; break }
                foreach ($v in $entry.Properties['samaccountname']) { $sam = [string]$v; break }
                # objectClass lists the class chain from "top" to the most specific class, which comes last.
                foreach ($v in $entry.Properties['objectclass']) { $class = [string]$v }
            }
        }
        catch {
            # One unreadable member (deleted object, other forest) must not hide the others: keep its RDN.
            Write-Diagnostic "ras-and-ias-servers: cannot read member ${dn}: $($_.Exception.Message)"
        }
        if ($null -eq $name -and $dn -match '^[A-Za-z]+=((?:\\.|[^,])*)') { $name = $Matches[1] }
        $members.Add([pscustomobject]@{ Name = $name; SamAccountName = $sam; objectClass = $class })
    }
    return @{ Read = 'ok'; Message = ''; Members = $members.ToArray() }
}

# Replace every secret in an NPS export: the text of each element whose name contains "secret"
# (when it holds a value, not child elements) and the value of each such attribute.
# .NET methods (get_*) are used because PowerShell's XML adapter lets child elements and
# attributes (the export's `name=`) shadow the node's own properties.
function Protect-NpsSecrets([System.Xml.XmlDocument]$Document) {
    $elements = @($Document.SelectNodes('//*'))
    foreach ($element in $elements) {
        foreach ($attribute in @($element.get_Attributes())) {
            if ($attribute.get_Name() -match 'secret') { $attribute.set_Value('REDACTED') }
        }
        if ($element.get_Name() -match 'secret') {
            $hasChildElement = $false
            foreach ($child in @($element.get_ChildNodes())) {
                if ($child.get_NodeType() -eq [System.Xml.XmlNodeType]::Element) { $hasChildElement = $true }
            }
            if (-not $hasChildElement) { $element.set_InnerText('REDACTED') }
        }
    }
}

# Export the NPS configuration to $env:TEMP, load it, redact it, delete the export.
# Returns @{ Document = <redacted XmlDocument> } (a hashtable, since PowerShell would enumerate an
# XmlDocument written to the pipeline).
function Get-RedactedNpsExport {
    $temp = Join-Path $env:TEMP ('rdsaudit-nps-' + [guid]::NewGuid().ToString('N') + '.xml')
    try {
        $result = Invoke-Native $NetshExe @('nps', 'export', "filename=$temp", 'exportPSK=YES')
        $exported = (Test-Path -LiteralPath $temp) -and ((Get-Item -LiteralPath $temp).Length -gt 0)
        if (-not $exported -and (Get-Command -Name Export-NpsConfiguration -ErrorAction SilentlyContinue)) {
            $null = Export-NpsConfiguration -Path $temp
            $exported = (Test-Path -LiteralPath $temp) -and ((Get-Item -LiteralPath $temp).Length -gt 0)
        }
        if (-not $exported) {
            throw ("netsh nps export wrote no file (exit code {0}): {1}" -f $result.ExitCode, $result.Output.Trim())
        }
        $document = New-Object System.Xml.XmlDocument
        $document.set_PreserveWhitespace($true)
        $document.set_XmlResolver($null)
        $document.Load($temp)
        Protect-NpsSecrets $document
        return @{ Document = $document }
    }
    finally {
        if (Test-Path -LiteralPath $temp) { Remove-Item -LiteralPath $temp -Force -ErrorAction SilentlyContinue }
    }
}

# The text of <Properties><Name> under an NPS object, or $null.
function Get-NpsProperty($Node, [string]$Name) {
    $property = $Node.SelectSingleNode('Properties/' + $Name)
    if ($null -eq $property) { return $null }
    return $property.get_InnerText()
}

# The real name of an NPS object (its `name` attribute; the element name is sanitized).
function Get-NpsName($Node) {
    $name = $Node.GetAttribute('name')
    if ($name) { return $name }
    return $Node.get_LocalName()
}

# Objects under <Container>/Children of the IAS element, by real name (case-insensitive).
function Get-NpsObjectsByName($Ias, [string]$Container) {
    $byName = @{}
    foreach ($node in @($Ias.SelectNodes('Children/' + $Container + '/Children/*'))) {
        $byName[(Get-NpsName $node)] = $node
    }
    return $byName
}

# Network policies, connection request policies and remote RADIUS server groups of a redacted export.
function ConvertFrom-NpsExport([System.Xml.XmlDocument]$Document) {
    $ias = $Document.SelectSingleNode('//Microsoft_Internet_Authentication_Service')
    if ($null -eq $ias) { throw 'not an NPS export: no Microsoft_Internet_Authentication_Service element' }

    $profiles = Get-NpsObjectsByName $ias 'RadiusProfiles'
    $networkPolicies = New-Object System.Collections.Generic.List[object]
    foreach ($node in @($ias.SelectNodes('Children/NetworkPolicy/Children/*'))) {
        $policy = [ordered]@{
            name               = (Get-NpsName $node)
            enabled            = (ConvertTo-BoolOrNull (Get-NpsProperty $node 'Policy_Enabled'))
            sequence           = (ConvertTo-IntOrNull (Get-NpsProperty $node 'msNPSequence'))
            allow_dialin       = $null
            ignore_user_dialin = $null
        }
        $action = Get-NpsProperty $node 'msNPAction'
        if ($null -ne $action -and $profiles.ContainsKey($action)) {
            $npsProfile = $profiles[$action]
            $policy['allow_dialin'] = ConvertTo-BoolOrNull (Get-NpsProperty $npsProfile 'msNPAllowDialin')
            $policy['ignore_user_dialin'] = ConvertTo-BoolOrNull (Get-NpsProperty $npsProfile 'msIgnoreUserDialinProperties')
        }
        $networkPolicies.Add($policy)
    }

    $proxyProfiles = Get-NpsObjectsByName $ias 'Proxy_Profiles'
    $requestPolicies = New-Object System.Collections.Generic.List[object]
    foreach ($node in @($ias.SelectNodes('Children/Proxy_Policies/Children/*'))) {
        $policy = [ordered]@{
            name               = (Get-NpsName $node)
            enabled            = (ConvertTo-BoolOrNull (Get-NpsProperty $node 'Policy_Enabled'))
            sequence           = (ConvertTo-IntOrNull (Get-NpsProperty $node 'msNPSequence'))
            auth_provider_type = $null
            auth_provider_name = $null
        }
        $action = Get-NpsProperty $node 'msNPAction'
        if ($null -ne $action -and $proxyProfiles.ContainsKey($action)) {
            $proxyProfile = $proxyProfiles[$action]
            $policy['auth_provider_type'] = ConvertTo-IntOrNull (Get-NpsProperty $proxyProfile 'msAuthProviderType')
            $policy['auth_provider_name'] = Get-NpsProperty $proxyProfile 'msAuthProviderName'
        }
        $requestPolicies.Add($policy)
    }

    $groups = New-Object System.Collections.Generic.List[object]
    foreach ($node in @($ias.SelectNodes('Children/RADIUS_Server_Groups/Children/*'))) {
        $servers = New-Object System.Collections.Generic.List[object]
        foreach ($server in @($node.SelectNodes('Children/*'))) {
            $servers.Add([ordered]@{
                    name              = (Get-NpsName $server)
                    timeout           = (ConvertTo-IntOrNull (Get-NpsProperty $server 'Timeout'))
                    blackout_interval = (ConvertTo-IntOrNull (Get-NpsProperty $server 'Blackout_Interval'))
                })
        }
        $groups.Add([ordered]@{ name = (Get-NpsName $node); servers = $servers.ToArray() })
    }

    return @{
        NetworkPolicies          = $networkPolicies.ToArray()
        ConnectionRequestPolicies = $requestPolicies.ToArray()
        RadiusServerGroups       = $groups.ToArray()
    }
}

# Compact JSON, every non-ASCII character escaped as \uXXXX so no console code page can garble it.
function ConvertTo-AsciiJson($Value) {
    $json = ConvertTo-Json -InputObject $Value -Compress -Depth 6
    $escape = [System.Text.RegularExpressions.MatchEvaluator] { param($m) '\u{0:x4}' -f [int][char]$m.Value }
    return [regex]::Replace($json, '[^\x00-\x7F]', $escape)
}

# ---------------------------------------------------------------------------------------------
# -Summary: one compact JSON document on standard output, no file written
# ---------------------------------------------------------------------------------------------

function Get-HostSummary {
    $os = $null
    try {
        $info = Get-OsInfo
        $os = [ordered]@{
            caption = [string]$info.Caption
            version = [string]$info.Version
            build   = (ConvertTo-IntOrNull $info.BuildNumber)
        }
    }
    catch { Write-Diagnostic "os: $($_.Exception.Message)" }

    $features = $null
    try {
        $installed = Get-InstalledFeatures
        $roles = New-Object System.Collections.Generic.List[string]
        foreach ($feature in $installed) {
            if ($RoleFeatures -contains [string]$feature.Name) { $roles.Add([string]$feature.Name) }
        }
        $features = $roles.ToArray()
    }
    catch { Write-Diagnostic "features: $($_.Exception.Message)" }

    $licensing = [ordered]@{ policy_mode = $null; policy_read = 'error'; rcm_mode = $null; rcm_read = 'error' }
    try {
        $policy = Read-RegistryValues 'SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services' @('LicensingMode')
        $licensing['policy_mode'] = ConvertTo-IntOrNull $policy.Data['LicensingMode']
        $licensing['policy_read'] = $policy.Read
    }
    catch { Write-Diagnostic "licensing-policy: $($_.Exception.Message)" }
    try {
        $rcm = Read-RegistryValues 'SYSTEM\CurrentControlSet\Control\Terminal Server\RCM\Licensing Core' @('LicensingMode')
        $licensing['rcm_mode'] = ConvertTo-IntOrNull $rcm.Data['LicensingMode']
        $licensing['rcm_read'] = $rcm.Read
    }
    catch { Write-Diagnostic "licensing-core: $($_.Exception.Message)" }

    $sidType = $null
    try {
        $sc = Invoke-ScQsidtype
        if (-not (Test-ServiceMissing $sc)) {
            if ($sc.Output -match 'SERVICE_SID_TYPE[_:\s]+(NONE|UNRESTRICTED|RESTRICTED)') {
                $sidType = $Matches[1].ToUpperInvariant()
            }
            else {
                # sc.exe said something else: fall back to the service key (0 NONE, 1 UNRESTRICTED, 3 RESTRICTED;
                # no value means NONE).
                $ias = Read-RegistryValues 'SYSTEM\CurrentControlSet\Services\IAS' @('ServiceSidType')
                if ($ias.Read -eq 'ok') {
                    $code = ConvertTo-IntOrNull $ias.Data['ServiceSidType']
                    if ($null -eq $code -or $code -eq 0) { $sidType = 'NONE' }
                    elseif ($code -eq 1) { $sidType = 'UNRESTRICTED' }
                    elseif ($code -eq 3) { $sidType = 'RESTRICTED' }
                }
                if ($null -eq $sidType) { Write-Diagnostic "sc-qsidtype-ias: unexpected output: $($sc.Output.Trim())" }
            }
        }
    }
    catch { Write-Diagnostic "sc-qsidtype-ias: $($_.Exception.Message)" }

    # Lists are [] (not null) when not read or not set: the *_read value says which.
    $mfa = [ordered]@{ extension_dlls = @(); authorization_dlls = @(); authsrv_read = 'error'; require_user_match = $null; azuremfa_read = 'error' }
    try {
        $authSrv = Read-RegistryValues 'SYSTEM\CurrentControlSet\Services\AuthSrv\Parameters' @('ExtensionDLLs', 'AuthorizationDLLs')
        if ($null -ne $authSrv.Data['ExtensionDLLs']) { $mfa['extension_dlls'] = ConvertTo-StringArray $authSrv.Data['ExtensionDLLs'] }
        if ($null -ne $authSrv.Data['AuthorizationDLLs']) { $mfa['authorization_dlls'] = ConvertTo-StringArray $authSrv.Data['AuthorizationDLLs'] }
        $mfa['authsrv_read'] = $authSrv.Read
    }
    catch { Write-Diagnostic "authsrv-parameters: $($_.Exception.Message)" }
    try {
        $azureMfa = Read-RegistryValues 'SOFTWARE\Microsoft\AzureMfa' @('REQUIRE_USER_MATCH')
        if ($null -ne $azureMfa.Data['REQUIRE_USER_MATCH']) { $mfa['require_user_match'] = [string]$azureMfa.Data['REQUIRE_USER_MATCH'] }
        $mfa['azuremfa_read'] = $azureMfa.Read
    }
    catch { Write-Diagnostic "azuremfa: $($_.Exception.Message)" }

    $adRegistration = [ordered]@{ member_of_ras_and_ias_servers = $null; read = 'error' }
    try {
        $group = Get-RasAndIasServersMembers
        $adRegistration['read'] = $group.Read
        if ($group.Read -eq 'ok') {
            $isMember = $false
            foreach ($member in $group.Members) {
                if ($member.SamAccountName -eq ($ComputerName + '$') -or ($null -eq $member.SamAccountName -and $member.Name -eq $ComputerName)) {
                    $isMember = $true
                }
            }
            $adRegistration['member_of_ras_and_ias_servers'] = $isMember
        }
    }
    catch { Write-Diagnostic "ras-and-ias-servers: $($_.Exception.Message)" }

    $nps = [ordered]@{ read = 'error'; network_policies = @(); connection_request_policies = @(); radius_server_groups = @() }
    try {
        if (-not (Test-NpasInstalled)) {
            $nps['read'] = 'absent'
        }
        else {
            $parsed = ConvertFrom-NpsExport (Get-RedactedNpsExport).Document
            $nps['network_policies'] = $parsed.NetworkPolicies
            $nps['connection_request_policies'] = $parsed.ConnectionRequestPolicies
            $nps['radius_server_groups'] = $parsed.RadiusServerGroups
            $nps['read'] = 'ok'
        }
    }
    catch { Write-Diagnostic "nps-config: $($_.Exception.Message)" }

    return [ordered]@{
        schema            = $SummarySchemaId
        collector_version = $CollectorVersion
        computer_name     = $ComputerName
        collected_at      = $CollectedAt
        os                = $os
        features          = $features
        licensing         = $licensing
        ias_sid_type      = $sidType
        mfa               = $mfa
        ad_registration   = $adRegistration
        nps               = $nps
    }
}

# Keep only enabled (or unknown) policies: the rules never read disabled ones.
function Select-EnabledPolicies($Policies) {
    $kept = New-Object System.Collections.Generic.List[object]
    foreach ($policy in $Policies) {
        if ($policy['enabled'] -ne $false) { $kept.Add($policy) }
    }
    return , $kept.ToArray()
}

function Invoke-SummaryMode {
    $summary = Get-HostSummary
    $json = ConvertTo-AsciiJson $summary
    $nps = $summary['nps']
    if ($json.Length -gt $SummaryMaxBytes -and $nps['read'] -eq 'ok') {
        Write-Diagnostic 'summary over 4 KB: disabled NPS policies left out'
        $nps['network_policies'] = Select-EnabledPolicies $nps['network_policies']
        $nps['connection_request_policies'] = Select-EnabledPolicies $nps['connection_request_policies']
        $json = ConvertTo-AsciiJson $summary
    }
    if ($json.Length -gt $SummaryMaxBytes) {
        Write-Diagnostic 'summary still over 4 KB: NPS policies left out (nps.read = error); collect the evidence files instead'
        $summary['nps'] = [ordered]@{ read = 'error'; network_policies = @(); connection_request_policies = @(); radius_server_groups = @() }
        $json = ConvertTo-AsciiJson $summary
    }
    Write-Output $json
}

# ---------------------------------------------------------------------------------------------
# Default mode: the evidence folder
# ---------------------------------------------------------------------------------------------

$ManifestItems = New-Object System.Collections.Generic.List[object]

# Run one collection step. $Action gets the target path and returns $null (written) or
# @{ Absent = '<why>' } (nothing to collect; no file). Any exception is an "error" item.
function Invoke-CollectionItem([string]$Name, [string]$Source, [string]$File, [scriptblock]$Action) {
    $path = Join-Path $script:HostDir $File
    $status = 'ok'
    $message = ''
    try {
        if (Test-Path -LiteralPath $path) { Remove-Item -LiteralPath $path -Force }   # stale copy from an earlier run
        $result = $null
        foreach ($output in @(& $Action $path)) {
            if ($output -is [System.Collections.IDictionary] -and $output.Contains('Absent')) { $result = $output }
        }
        if ($null -ne $result) {
            $status = 'absent'
            $message = [string]$result['Absent']
        }
        elseif (-not (Test-Path -LiteralPath $path)) {
            throw "no file was written"
        }
    }
    catch {
        $status = 'error'
        $message = $_.Exception.Message
    }
    if ($status -ne 'ok') {
        # Never leave a partial file behind.
        try { if (Test-Path -LiteralPath $path) { Remove-Item -LiteralPath $path -Force } } catch { }
    }
    $ManifestItems.Add([ordered]@{ name = $Name; source = $Source; file = $File; status = $status; message = $message })
}

function Export-RegistryKey([string]$SubKey, [string]$Path) {
    if (-not (Test-HklmKey $SubKey)) { return @{ Absent = 'the registry key does not exist' } }
    $result = Invoke-Native $RegExe @('export', ('HKLM\' + $SubKey), $Path, '/y')
    if ($result.ExitCode -ne 0) {
        if ($result.ExitCode -eq 1 -and $result.Output -match 'unable to find') { return @{ Absent = 'the registry key does not exist' } }
        throw ("reg.exe export exited with {0}: {1}" -f $result.ExitCode, $result.Output.Trim())
    }
    return $null
}

function Invoke-FileMode {
    $script:HostDir = Join-Path $OutRoot $ComputerName
    try {
        $null = New-Item -ItemType Directory -Path $script:HostDir -Force
    }
    catch {
        Write-Diagnostic "cannot create ${script:HostDir}: $($_.Exception.Message)"
        exit 1
    }

    Invoke-CollectionItem 'os' 'Get-CimInstance Win32_OperatingSystem' 'os.json' {
        param($path)
        Write-Utf8File $path (Get-OsInfo | ConvertTo-Json)
    }
    Invoke-CollectionItem 'features' 'Get-WindowsFeature' 'features.json' {
        param($path)
        Write-Utf8File $path (ConvertTo-Json -InputObject (Get-InstalledFeatures))
    }

    $registryItems = @(
        @('licensing-policy', 'SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services', 'licensing-policy.reg'),
        @('licensing-core', 'SYSTEM\CurrentControlSet\Control\Terminal Server\RCM\Licensing Core', 'licensing-core.reg'),
        @('ias-service', 'SYSTEM\CurrentControlSet\Services\IAS', 'ias-service.reg'),
        @('authsrv-parameters', 'SYSTEM\CurrentControlSet\Services\AuthSrv\Parameters', 'authsrv-parameters.reg'),
        @('azuremfa', 'SOFTWARE\Microsoft\AzureMfa', 'azuremfa.reg')
    )
    foreach ($registryItem in $registryItems) {
        $subKey = $registryItem[1]
        Invoke-CollectionItem $registryItem[0] ('HKLM\' + $subKey) $registryItem[2] {
            param($path)
            Export-RegistryKey $subKey $path
        }
    }

    Invoke-CollectionItem 'sc-qsidtype-ias' 'sc.exe qsidtype IAS' 'sc-qsidtype-ias.txt' {
        param($path)
        $result = Invoke-ScQsidtype
        if (Test-ServiceMissing $result) { return @{ Absent = 'the IAS (NPS) service is not installed (sc.exe: 1060)' } }
        if ($result.ExitCode -ne 0) { throw ("sc.exe exited with {0}: {1}" -f $result.ExitCode, $result.Output.Trim()) }
        Write-Utf8File $path $result.Output
    }

    $npasInstalled = $false
    try { $npasInstalled = Test-NpasInstalled } catch { $npasInstalled = $false }
    $npasAbsent = 'NPAS (Network Policy Server) is not installed'

    Invoke-CollectionItem 'nps-registeredserver' 'netsh nps show registeredserver' 'nps-registeredserver.txt' {
        param($path)
        if (-not $npasInstalled) { return @{ Absent = $npasAbsent } }
        $result = Invoke-Native $NetshExe @('nps', 'show', 'registeredserver')
        if ($result.ExitCode -ne 0) { throw ("netsh exited with {0}: {1}" -f $result.ExitCode, $result.Output.Trim()) }
        Write-Utf8File $path $result.Output
    }

    Invoke-CollectionItem 'ras-and-ias-servers' 'ADSI: member of the domain group "RAS and IAS Servers"' 'ras-and-ias-servers.json' {
        param($path)
        $group = Get-RasAndIasServersMembers
        if ($group.Read -ne 'ok') { return @{ Absent = $group.Message } }
        Write-Utf8File $path (ConvertTo-Json -InputObject $group.Members -Depth 3)
    }

    Invoke-CollectionItem 'nps-config' 'netsh nps export exportPSK=YES (secrets redacted)' 'nps-config.xml' {
        param($path)
        if (-not $npasInstalled) { return @{ Absent = $npasAbsent } }
        $document = (Get-RedactedNpsExport).Document
        $declaration = $document.get_FirstChild()
        if ($declaration -is [System.Xml.XmlDeclaration] -and $declaration.get_Encoding()) { $declaration.set_Encoding('utf-8') }
        Write-Utf8File $path $document.get_OuterXml()
    }

    $manifest = [ordered]@{
        collector_version = $CollectorVersion
        computer_name     = $ComputerName
        collected_at      = $CollectedAt
        items             = $ManifestItems.ToArray()
    }
    $manifestJson = ConvertTo-Json -InputObject $manifest -Depth 4
    try {
        Write-Utf8File (Join-Path $script:HostDir 'manifest.json') $manifestJson
    }
    catch {
        Write-Diagnostic "cannot write manifest.json: $($_.Exception.Message)"
        exit 1
    }
    Write-Output $manifestJson
}

if ($Summary) { Invoke-SummaryMode } else { Invoke-FileMode }
exit 0
