#!/usr/bin/env python3
"""Runs an unmodified 2nd-gen CloudShell cloud provider shell as a Firmament process driver.

    python host.py [--model MODEL] [--journal DIR] [--log-dir DIR] [--vm-networks | --vm-networks-all] [--not-found REGEX]
                   [--cleanup-gone REGEX] [--power PATH.py:FUNCTION] path/to/driver.py:ClassName

It speaks Firmament's JSON-RPC on stdin/stdout (docs/drivers.md) and, for each request, builds
what CloudShell would hand the shell: a ResourceCommandContext or ResourceRemoteCommandContext
(the provider's settings as the resource's attributes, namespaced "MODEL.Name"; the deployed
app's JSON in remote_endpoints[0].app_context), a CancellationContext that `$/cancel` sets, and
a stand-in for the CloudShell API calls shells make during these commands. Any other API call
fails, naming it. Needs the packages in requirements.txt (cloudshell-shell-core, -cp-core,
-shell-connectivity-flow, -automation-api). Its own log lines go to stderr; the shell's
cloudshell-logging files go under --log-dir (default .firm/cloudshell-logs).
"""
import argparse
import importlib.util
import inspect
import json
import logging
import os
import re
import sys
import threading
import traceback
import uuid
from concurrent.futures import ThreadPoolExecutor

OUT_LOCK = threading.Lock()
# JSON-RPC answers go to the real stdout; anything the shell or its libraries print goes to
# stderr (main() points sys.stdout there), so a print() can't break the protocol.
RPC_OUT = sys.stdout


def log(*parts):
    print("cloudshell-host:", *parts, file=sys.stderr, flush=True)


class HostError(Exception):
    """A failure the host reports as a JSON-RPC error, with the given code."""

    def __init__(self, message, code=-32000):
        super().__init__(message)
        self.code = code


# The CloudShell API, as far as shells use it during these commands -----------------------------

class Request:
    """One JSON-RPC request in flight: its cancellation context and what the shell reported
    through the API. The API session finds it by the auth token in the context."""

    def __init__(self, request_id, app=None):
        from cloudshell.shell.core.driver_context import CancellationContext
        self.id = request_id
        self.token = "firm-" + uuid.uuid4().hex
        self.cancellation = CancellationContext()
        self.app = app  # (app_request_json, deployed_app_json) of a remote command
        self.private_ip = None
        self.public_ip = None


REQUESTS = {}  # token -> Request
REQUESTS_LOCK = threading.Lock()


class Obj:
    """An object with the given attributes, as the API's result classes are."""

    def __init__(self, **fields):
        self.__dict__.update(fields)


class FirmCloudShellAPISession:
    """Stands in for cloudshell.api.cloudshell_api.CloudShellAPISession. It serves the calls
    shells make during the commands Firmament sends; any other call fails, naming it."""

    def __init__(self, host=None, username=None, password=None, domain=None, token_id=None, **_):
        self.request = REQUESTS.get(token_id)
        self.domain = domain

    def _check(self, call):
        if self.request is None:
            raise HostError(f"CloudShell API call {call} was made outside a command firm sent")
        return self.request

    def DecryptPassword(self, encryptedString=""):
        # Firmament sends the password itself over the driver's private stdin: nothing to decrypt.
        self._check("DecryptPassword")
        return Obj(Value=encryptedString)

    def UpdateResourceAddress(self, resourceFullPath="", resourceAddress=""):
        self._check("UpdateResourceAddress").private_ip = resourceAddress

    def SetAttributeValue(self, resourceFullPath="", attributeName="", attributeValue=""):
        request = self._check("SetAttributeValue")
        if attributeName == "Public IP" or attributeName.endswith(".Public IP"):
            request.public_ip = attributeValue
            return
        raise HostError(f"CloudShell API call SetAttributeValue({attributeName!r}) is not provided by firm's CloudShell host "
                        "(only the Public IP attribute, which refreshIP reports)")

    def WriteMessageToReservationOutput(self, reservationId="", message=""):
        log(f"[reservation {reservationId} output] {message}")

    def SetResourceLiveStatus(self, resourceFullName="", liveStatusName="", additionalInfo=""):
        log(f"[live status] {resourceFullName}: {liveStatusName} {additionalInfo}".rstrip())

    def GetResourceDetails(self, resourceFullPath="", showAllDomains=False):
        request = self._check("GetResourceDetails")
        if request.app is not None:
            _, deployed = request.app
            if resourceFullPath == deployed.get("name"):
                details = deployed.get("vmdetails", {})
                return Obj(Name=deployed["name"], Address=deployed.get("address", ""), ResourceFamilyName=deployed.get("family", ""),
                           ResourceModelName=deployed.get("model", ""), FolderFullPath="", Description="",
                           ResourceAttributes=[Obj(Name=a["name"], Value=a["value"], Type="String") for a in deployed.get("attributes", [])],
                           VmDetails=Obj(UID=details.get("uid", ""), CloudProviderFullName=details.get("cloudProviderId", ""),
                                         VmCustomParams=[Obj(Name=p["name"], Value=p["value"]) for p in details.get("vmCustomParams", [])]),
                           ChildResources=[], Connections=[])
        if resourceFullPath == HOST.provider:
            return Obj(Name=HOST.provider, Address="", ResourceFamilyName="CS_CloudProvider", ResourceModelName=HOST.model,
                       FolderFullPath="", Description="", ChildResources=[], Connections=[], VmDetails=None,
                       ResourceAttributes=[Obj(Name=k, Value=v, Type="String") for k, v in HOST.attributes.items()])
        raise HostError(f"CloudShell API call GetResourceDetails({resourceFullPath!r}): firm's CloudShell host knows only the cloud provider "
                        "resource and the deployed app of the command")

    def GetReservationDetails(self, reservationId="", disableCache=False):
        self._check("GetReservationDetails")
        return Obj(ReservationDescription=Obj(
            Id=HOST.sandbox, Name=HOST.sandbox, Description="", Owner="firm", DomainName=self.domain or "Global", Status="Started",
            ProvisioningStatus="Ready", ActualEndTime="", StartTime="", EndTime="", Resources=[], Services=[], Apps=[], Connectors=[],
            RequestedRoutesInfo=[], ActiveRoutesInfo=[], TopologiesReservedResources=[], Topologies=[], SavedSandboxId=""))

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)

        def unsupported(*args, **kwargs):
            raise HostError(f"CloudShell API call {name} is not provided by firm's CloudShell host")
        return unsupported


def install_api():
    """Replaces CloudShellAPISession where shells take it from, before the shell is imported."""
    import cloudshell.api.cloudshell_api as api_module
    import cloudshell.shell.core.session.cloudshell_session as session_module
    api_module.CloudShellAPISession = FirmCloudShellAPISession
    session_module.CloudShellAPISession = FirmCloudShellAPISession


# Contexts --------------------------------------------------------------------------------------

class Host:
    def __init__(self, args):
        self.args = args
        self.model = args.model
        self.provider = "cloud-provider"
        self.sandbox = ""
        self.attributes = {}
        self.driver = None
        self.journal = None
        self.power = None

    def namespaced(self, settings):
        """Provider settings as the shell's resource attributes: "MODEL.Name", as 2nd-gen shells read them."""
        out = {}
        for key, value in settings.items():
            text = ("True" if value else "False") if isinstance(value, bool) else str(value)
            out[key if key.startswith(self.model + ".") else f"{self.model}.{key}"] = text
        return out

    def connectivity(self, request):
        from cloudshell.shell.core.driver_context import ConnectivityContext
        return ConnectivityContext(server_address="127.0.0.1", cloudshell_api_port="8029", quali_api_port="9000",
                                   admin_auth_token=request.token, cloudshell_version="firm", cloudshell_api_scheme="http")

    def resource(self):
        from cloudshell.shell.core.driver_context import AppContext, ResourceContextDetails
        return ResourceContextDetails(id=str(uuid.uuid5(uuid.NAMESPACE_URL, "firm:" + self.provider)), name=self.provider,
                                      fullname=self.provider, type="Resource", address="", model=self.model, family="CS_CloudProvider",
                                      description="", attributes=dict(self.attributes), app_context=AppContext("", ""), networks_info=None,
                                      shell_standard=None, shell_standard_version=None)

    def reservation(self):
        from cloudshell.shell.core.driver_context import ReservationContextDetails
        return ReservationContextDetails(environment_name=self.sandbox, environment_path=self.sandbox, domain="Global", description="",
                                         owner_user="firm", owner_email="", reservation_id=self.sandbox, saved_sandbox_name="",
                                         saved_sandbox_id="", running_user="firm", cloud_info_access_key="")

    def command_context(self, request):
        from cloudshell.shell.core.driver_context import ResourceCommandContext
        return ResourceCommandContext(self.connectivity(request), self.resource(), self.reservation(), [])

    def remote_context(self, request):
        from cloudshell.shell.core.driver_context import AppContext, ResourceContextDetails, ResourceRemoteCommandContext
        app_request, deployed = request.app
        endpoint = ResourceContextDetails(
            id=str(uuid.uuid5(uuid.NAMESPACE_URL, "firm:" + deployed["name"])), name=deployed["name"], fullname=deployed["name"],
            type="Resource", address=deployed.get("address", ""), model=deployed.get("model", ""), family=deployed.get("family", ""),
            description="", attributes={a["name"]: a["value"] for a in deployed.get("attributes", [])},
            app_context=AppContext(json.dumps(app_request), json.dumps(deployed)), networks_info=None, shell_standard=None,
            shell_standard_version=None)
        return ResourceRemoteCommandContext(self.connectivity(request), self.resource(), self.reservation(), [endpoint])

    def call(self, command, rpc, context, **available):
        """Calls the shell's command, binding its parameters by name, as CloudShell does."""
        method = getattr(self.driver, command, None)
        if method is None:
            raise HostError(f"the shell has no {command} command", code=-32601)
        available.update(context=context, cancellation_context=rpc.cancellation, ports=[])
        kwargs = {}
        for name, parameter in inspect.signature(method).parameters.items():
            if name in available:
                kwargs[name] = available[name]
            elif parameter.default is inspect.Parameter.empty and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                raise HostError(f"the shell's {command} takes a parameter {name!r} that CloudShell does not pass")
        return method(**kwargs)


HOST = None


# The journal: what the shell deployed, so that an interrupted deploy can be found --------------

class Journal:
    """Every VM the shell deployed and has not deleted, for `inventory`: appended (and fsynced)
    before the deploy is answered, and the deploy finishes even if firm goes away mid-call."""

    def __init__(self, directory, provider):
        os.makedirs(directory, exist_ok=True)
        self.path = os.path.join(directory, re.sub(r"[^A-Za-z0-9_.-]", "_", provider) + ".jsonl")
        self.lock = threading.Lock()

    def append(self, entry):
        with self.lock, open(self.path, "a") as f:
            f.write(json.dumps(entry) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def live(self, sandbox):
        vms = {}
        with self.lock:
            try:
                lines = open(self.path).read().splitlines()
            except FileNotFoundError:
                lines = []
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a torn last line of a crash
            if entry.get("sandbox") != sandbox:
                continue
            if entry.get("deleted"):
                vms.pop(entry["vmUuid"], None)
            else:
                vms[entry["vmUuid"]] = entry
        return list(vms.values())


# Commands --------------------------------------------------------------------------------------

def driver_request(params):
    """Exactly what CloudShell passes a shell: the driverRequest, as a JSON string."""
    return json.dumps({"driverRequest": params["driverRequest"]})


def answer_json(command, text):
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        raise HostError(f"the shell's {command} returned {str(text)[:200]!r}, not JSON")


def deploy(request, params):
    result = answer_json("Deploy", HOST.call("Deploy", request, HOST.command_context(request), request=driver_request(params)))
    app = next((a for a in params["driverRequest"]["actions"] if a.get("type") == "deployApp"), {})
    for r in result.get("driverResponse", {}).get("actionResults", []):
        if r.get("type") == "DeployApp" and r.get("success", True) and r.get("vmUuid"):
            HOST.journal.append({"sandbox": HOST.sandbox, "appName": app.get("actionParams", {}).get("appName", ""),
                                 "vmName": r.get("vmName", ""), "vmUuid": r["vmUuid"], "address": r.get("deployedAppAddress", "")})
    return result


def remote(command):
    def run(request, params):
        HOST.call(command, request, HOST.remote_context(request))
        if command == "DeleteInstance":
            deployed = params["deployedAppJson"]
            HOST.journal.append({"sandbox": HOST.sandbox, "vmUuid": deployed["vmdetails"]["uid"], "deleted": True})
        return None
    return run


def refresh_ip(request, params):
    returned = HOST.call("remote_refresh_ip", request, HOST.remote_context(request))
    deployed = params["deployedAppJson"]
    public = next((a["value"] for a in deployed.get("attributes", []) if a["name"] == "Public IP" or a["name"].endswith(".Public IP")), "")
    private = request.private_ip or (returned if isinstance(returned, str) and returned else deployed.get("address", ""))
    return {"privateIp": private, "publicIp": request.public_ip if request.public_ip is not None else public}


def vm_details(request, items):
    text = HOST.call("GetVmDetails", request, HOST.command_context(request), requests=json.dumps({"items": items}))
    details = answer_json("GetVmDetails", text)
    if not isinstance(details, list) or len(details) != len(items):
        raise HostError(f"the shell's GetVmDetails answered {str(text)[:200]!r}, not one VmDetailsData per item")
    return details


def observation(item, details, l3, power=None):
    """An observation from GetVmDetails. CloudShell keeps power itself, so GetVmDetails has none:
    it comes from --power when given. Connectivity only with --vm-networks."""
    deployed = item["deployedAppJson"]
    uid, name = deployed["vmdetails"]["uid"], deployed["name"]
    # cp-core's VmDetailsData has errorMessage; some shells (cp-aws 3.x) set error instead.
    error = str(details.get("errorMessage") or details.get("error") or "")
    if error:
        if re.search(HOST.args.not_found, error):
            log(f"GetVmDetails for {name} ({uid}) says it is gone: {error}")
            return {"vmName": name, "vmUuid": uid, "exists": False}
        raise HostError(f"GetVmDetails for {name}: {error}")
    interfaces = details.get("vmNetworkData") or []
    primary = next((i for i in interfaces if i.get("isPrimary")), interfaces[0] if interfaces else {})
    seen = {"vmName": name, "vmUuid": uid, "exists": True, "privateIp": primary.get("privateIpAddress") or deployed.get("address", ""),
            "publicIp": primary.get("publicIpAddress") or "", "sandbox": HOST.sandbox}
    if power is not None:
        seen["power"] = power
    if HOST.args.vm_networks:
        counted = interfaces if HOST.args.vm_networks == "all" else [i for i in interfaces if not i.get("isPrimary")]
        networks = [str(i.get("networkId") or "") for i in counted]
        if l3:
            seen["subnets"] = [n for n in networks if n]
        else:
            seen["vlans"] = [int(n) for n in networks if n.isdigit()]
    return seen


def powers(uids):
    """What --power says of each VM: "on", "off", or None (not known; firm looks for no power drift)."""
    if HOST.power is None or not uids:
        return {}
    settings = {key[len(HOST.model) + 1:] if key.startswith(HOST.model + ".") else key: value for key, value in HOST.attributes.items()}
    try:
        found = HOST.power(settings, list(uids)) or {}
    except Exception as error:
        raise HostError(f"--power {HOST.args.power} failed: {type(error).__name__}: {error}")
    if not isinstance(found, dict):
        raise HostError(f"--power {HOST.args.power} returned {type(found).__name__}, not a dict of VM uid to \"on\" or \"off\"")
    return {uid: value for uid, value in found.items() if value in ("on", "off")}


def observe(request, params):
    items = params["items"]
    details = vm_details(request, items)
    power = powers([item["deployedAppJson"]["vmdetails"]["uid"] for item in items])
    return [observation(item, d, HOST.l3, power.get(item["deployedAppJson"]["vmdetails"]["uid"])) for item, d in zip(items, details)]


def inventory(request, params):
    """The VMs the journal says the shell deployed for the sandbox, that GetVmDetails still finds."""
    entries = HOST.journal.live(params["sandbox"])
    if not entries:
        return []
    items = [{"appRequestJson": "", "deployedAppJson": {"name": e["vmName"], "family": "Generic App Family", "model": "Generic App Model",
                                                        "address": e["address"], "attributes": [{"name": "User", "value": ""}, {"name": "Password", "value": ""}, {"name": "Public IP", "value": ""}],
                                                        "vmdetails": {"id": "", "cloudProviderId": HOST.provider, "uid": e["vmUuid"], "vmCustomParams": []}}}
             for e in entries]
    found = []
    power = powers([e["vmUuid"] for e in entries])
    for entry, item, d in zip(entries, items, vm_details(request, items)):
        seen = observation(item, d, HOST.l3, power.get(entry["vmUuid"]))
        if seen["exists"]:
            seen["appName"] = entry["appName"]
            found.append(seen)
    return found


def error_list(message):
    """The errors in a failed result's message: the items of a trailing Python list, as cp-aws's
    CleanupSandboxInfraException shows them ("...: [VpcNotFound('...'), ...]"), else the message."""
    start = message.find("[")
    if start < 0 or not message.rstrip().endswith("]"):
        return [message]
    items, depth, quote, current = [], 0, None, ""
    for ch in message.rstrip()[start + 1:-1]:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(current.strip())
            current = ""
            continue
        current += ch
    items.append(current.strip())
    return [item for item in items if item] or [message]


def clean_sandbox_infra(request, params):
    """CleanupSandboxInfra. firm retries a cleanup and needs what is already gone to succeed, as
    CloudShell (which calls it once) does not: a CleanupNetwork result whose every error matches
    --cleanup-gone becomes a success."""
    answer = answer_json("CleanupSandboxInfra", HOST.call("CleanupSandboxInfra", request, HOST.command_context(request), request=driver_request(params)))
    for result in (answer.get("driverResponse") or {}).get("actionResults") or [] if isinstance(answer, dict) else []:
        if not isinstance(result, dict) or result.get("success", True):
            continue
        message = str(result.get("errorMessage") or "")
        if message and all(re.search(HOST.args.cleanup_gone, error) for error in error_list(message)):
            log(f"CleanupSandboxInfra: every error says the infrastructure is already gone (--cleanup-gone), so it succeeded: {message}")
            result["success"], result["errorMessage"], result["infoMessage"] = True, "", "already gone"
    return answer


def save_app(request, params):
    """firm's saveApp: the shell's SaveApp, CloudShell's own command, with the driverRequest as is."""
    return answer_json("SaveApp", HOST.call("SaveApp", request, HOST.command_context(request), request=driver_request(params)))


def delete_saved_app(request, params):
    if getattr(HOST.driver, "DeleteSavedApps", None) is None:
        raise HostError("the shell has no DeleteSavedApps command: delete the snapshot in its cloud", code=-32601)
    return answer_json("DeleteSavedApps", HOST.call("DeleteSavedApps", request, HOST.command_context(request), request=driver_request(params)))


def action_command(command):
    def run(request, params):
        return answer_json(command, HOST.call(command, request, HOST.command_context(request), request=driver_request(params)))
    return run


def initialize(params):
    HOST.provider = params.get("provider") or HOST.provider
    HOST.sandbox = params.get("sandbox", "")
    HOST.attributes = HOST.namespaced(params.get("settings", {}))
    HOST.journal = Journal(HOST.args.journal, HOST.provider)
    init = getattr(HOST.driver, "initialize", None)
    if init is not None:
        from cloudshell.shell.core.driver_context import InitCommandContext
        token_request = Request(None)
        init(InitCommandContext(HOST.connectivity(token_request), HOST.resource()))
    operations = ["deploy", "powerOn", "powerOff", "refreshIP", "delete", "observe", "inventory"]
    operations += ["prepareSandboxInfra", "cleanSandboxInfra"] if HOST.l3 else ["applyConnectivityChanges"]
    # Only CloudShell's SaveApp saves an app that new VMs deploy from; remote_save_snapshot
    # restores the same VM in place, and the AWS shell's save_app is not idempotent.
    if getattr(HOST.driver, "SaveApp", None) is not None:
        operations.append("saveApp")
    if getattr(HOST.driver, "DeleteSavedApps", None) is not None:
        operations.append("deleteSavedApp")
    log(f"running {HOST.args.driver} for provider {HOST.provider}, sandbox {HOST.sandbox}, {'L3' if HOST.l3 else 'L2'}")
    return {"name": HOST.args.driver.split(":")[-1], "version": "cloudshell-host 1", "connectivity": "L3" if HOST.l3 else "L2",
            "operations": operations, "capabilities": {"vmNames": "own", "cleanupSubnets": False, "refreshIPAddresses": True}}


COMMANDS = {
    "deploy": deploy, "powerOn": remote("PowerOn"), "powerOff": remote("PowerOff"), "delete": remote("DeleteInstance"),
    "refreshIP": refresh_ip, "observe": observe, "inventory": inventory,
    "applyConnectivityChanges": action_command("ApplyConnectivityChanges"),
    "prepareSandboxInfra": action_command("PrepareSandboxInfra"), "cleanSandboxInfra": clean_sandbox_infra,
    "saveApp": save_app, "deleteSavedApp": delete_saved_app,
}
REMOTE = {"powerOn", "powerOff", "delete", "refreshIP"}


def write(message):
    with OUT_LOCK:
        RPC_OUT.write(json.dumps(message) + "\n")
        RPC_OUT.flush()


def run_request(message):
    request_id, method, params = message["id"], message.get("method"), message.get("params") or {}
    try:
        if method == "initialize":
            result = initialize(params)
        elif method not in COMMANDS:
            raise HostError(f"unknown method {method}", code=-32601)
        else:
            app = (params.get("appRequestJson"), params["deployedAppJson"]) if method in REMOTE else None
            request = Request(request_id, app)
            with REQUESTS_LOCK:
                REQUESTS[request.token] = request
                IN_FLIGHT[request_id] = request
            try:
                result = COMMANDS[method](request, params)
            finally:
                with REQUESTS_LOCK:
                    REQUESTS.pop(request.token, None)
                    IN_FLIGHT.pop(request_id, None)
        write({"jsonrpc": "2.0", "id": request_id, "result": result})
    except HostError as error:
        write({"jsonrpc": "2.0", "id": request_id, "error": {"code": error.code, "message": str(error)}})
    except Exception as error:  # the shell raised: CloudShell shows the message as the command's failure
        log(f"{method} failed:", "".join(traceback.format_exception_only(type(error), error)).strip())
        write({"jsonrpc": "2.0", "id": request_id, "error": {"code": -32000, "message": f"{type(error).__name__}: {error}"}})


IN_FLIGHT = {}  # JSON-RPC id -> Request


def load_driver(spec):
    path, _, class_name = spec.rpartition(":")
    if not path or not class_name:
        raise SystemExit(f"cloudshell-host: expected path/to/driver.py:ClassName, not {spec!r}")
    path = os.path.abspath(path)
    sys.path.insert(0, os.path.dirname(path))  # shells import their sibling modules
    module_spec = importlib.util.spec_from_file_location("shell_driver", path)
    if module_spec is None:
        raise SystemExit(f"cloudshell-host: can't load {path}")
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    cls = getattr(module, class_name, None)
    if cls is None:
        raise SystemExit(f"cloudshell-host: {path} has no class {class_name}")
    return cls()


def load_function(spec, option):
    path, _, name = spec.rpartition(":")
    if not path or not name:
        raise SystemExit(f"cloudshell-host: {option} expects path/to/file.py:FUNCTION, not {spec!r}")
    path = os.path.abspath(path)
    module_spec = importlib.util.spec_from_file_location("host_" + re.sub(r"\W", "_", name), path)
    if module_spec is None or not os.path.isfile(path):
        raise SystemExit(f"cloudshell-host: {option}: can't load {path}")
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    function = getattr(module, name, None)
    if not callable(function):
        raise SystemExit(f"cloudshell-host: {option}: {path} has no function {name}")
    return function


def main():
    global HOST
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("driver", help="path/to/driver.py:ClassName")
    parser.add_argument("--model", default="CloudProvider", help="the shell's model: resource attributes are named MODEL.Name")
    parser.add_argument("--journal", default=".firm/cloudshell-host", help="where the host keeps what the shell deployed")
    parser.add_argument("--log-dir", default=".firm/cloudshell-logs", help="where the shell's cloudshell-logging files go")
    parser.add_argument("--vm-networks", dest="vm_networks", action="store_const", const="secondary",
                        help="report connectivity from GetVmDetails: each non-primary interface's networkId (VLAN id or subnet "
                             "id); the primary interface is left out, as vCenter's sits on the management network")
    parser.add_argument("--vm-networks-all", dest="vm_networks", action="store_const", const="all",
                        help="the same, counting every interface, the primary too: on AWS each one is on a sandbox subnet")
    parser.add_argument("--not-found", default=r"(?i)not found|does not exist|no such|terminated",
                        help="a GetVmDetails error (errorMessage or error) matching this means the VM is gone")
    parser.add_argument("--cleanup-gone", default=r"(?i)VpcNotFound|No VPC was created for|not ?found|does not exist|no such",
                        help="a CleanupSandboxInfra result whose every error matches this succeeds: the infrastructure is already gone")
    parser.add_argument("--power", metavar="PATH.py:FUNCTION",
                        help="how observe learns power, which GetVmDetails does not say: FUNCTION(settings, uids) returns "
                             "{uid: \"on\" | \"off\"}; settings are the provider's, without the model prefix")
    args = parser.parse_args()
    sys.stdout = sys.stderr
    os.environ.setdefault("LOG_PATH", os.path.abspath(args.log_dir))
    HOST = Host(args)
    install_api()
    HOST.driver = load_driver(args.driver)
    HOST.power = load_function(args.power, "--power") if args.power else None
    HOST.l3 = hasattr(HOST.driver, "PrepareSandboxInfra")  # CloudShell's own rule

    pool = ThreadPoolExecutor(max_workers=16)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            message = json.loads(line)
        except ValueError:
            log("ignored a line that is not JSON")
            continue
        if message.get("method") == "$/cancel":
            with REQUESTS_LOCK:
                request = IN_FLIGHT.get((message.get("params") or {}).get("id"))
            if request is not None:
                request.cancellation.is_cancelled = True
            continue
        if "id" in message:
            pool.submit(run_request, message)
    # stdin closed: firm is gone. A deploy in flight still finishes, and is journaled.
    pool.shutdown(wait=True)
    # cloudshell-logging's MultiProcessingLog reads a multiprocessing queue on a thread of its
    # own; closed here, before interpreter exit closes the queue under that thread ("OSError:
    # handle is closed" tracebacks).
    logging.shutdown()


if __name__ == "__main__":
    main()
