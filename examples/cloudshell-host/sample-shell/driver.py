"""A 2nd-gen CloudShell cloud provider shell for the sample file cloud, written the way Quali's
own shells are (cp-vcenter, cp-aws): a ResourceDriverInterface class whose commands build
cp-core request actions from the CloudShell contexts, run cp-core flows, and answer with cp-core
results. It knows nothing of Firmament: examples/cloudshell-host/host.py runs it unchanged.

FileCloudL2ShellDriver is an L2 shell (VLANs through ApplyConnectivityChanges);
FileCloudL3ShellDriver adds PrepareSandboxInfra and CleanupSandboxInfra, which is how CloudShell
tells an L3 shell. Resource attributes: FileCloud.State File, FileCloud.CIDR.
"""
import time

from cloudshell.cp.core.request_actions import (CleanupSandboxInfraRequestActions, DeployedVMActions, DeployVMRequestActions,
                                                GetVMDetailsRequestActions, PrepareSandboxInfraRequestActions)
from cloudshell.cp.core.request_actions.driver_response import DriverResponse
from cloudshell.cp.core.request_actions.models import Artifact, Attribute, DeleteSavedAppResult, SaveAppResult
from cloudshell.cp.core.request_actions.save_restore_app import SaveRestoreRequestActions
from cloudshell.cp.core.utils.name_generator import NameGenerator
from cloudshell.shell.core.driver_context import AutoLoadDetails
from cloudshell.shell.core.resource_driver_interface import ResourceDriverInterface
from cloudshell.shell.core.session.cloudshell_session import CloudShellSessionContext
from cloudshell.shell.core.session.logging_session import LoggingSessionContext
from cloudshell.shell.flows.connectivity.parse_request_service import ParseConnectivityRequestService

from filecloud_flows import CleanupFlow, ConnectivityFlow, DeployFlow, PrepareFlow, VMDetailsFlow
from filecloud_sdk import FileCloud

SHELL_NAME = "FileCloud"


def cloud_of(context):
    return FileCloud(context.resource.attributes.get(f"{SHELL_NAME}.State File", ".filecloud.json"))


def cidr_of(context):
    return context.resource.attributes.get(f"{SHELL_NAME}.CIDR", "10.70.0.0/16")


class FileCloudL2ShellDriver(ResourceDriverInterface):
    def __init__(self):
        self.generate_name = NameGenerator()

    def initialize(self, context):
        pass

    def cleanup(self):
        pass

    def get_inventory(self, context):
        cloud_of(context).list_vms(ReservationId="-")  # the state file is readable
        return AutoLoadDetails([], [])

    def Deploy(self, context, request, cancellation_context=None):
        with LoggingSessionContext(context) as logger, CloudShellSessionContext(context) as api:
            actions = DeployVMRequestActions.from_request(request, api)
            flow = DeployFlow(logger, cloud_of(context), cidr_of(context), context.reservation.reservation_id, cancellation_context,
                              name_vm=lambda app: self.generate_name(app.app_name))
            return flow.deploy(actions)

    def _deployed_app(self, context, api):
        return DeployedVMActions.from_remote_resource(context.remote_endpoints[0], api).deployed_app

    def PowerOn(self, context, ports):
        with CloudShellSessionContext(context) as api:
            cloud_of(context).set_power(self._deployed_app(context, api).vmdetails.uid, "on")

    def PowerOff(self, context, ports):
        with CloudShellSessionContext(context) as api:
            cloud_of(context).set_power(self._deployed_app(context, api).vmdetails.uid, "off")

    def PowerCycle(self, context, ports, delay):
        self.PowerOff(context, ports)
        time.sleep(float(delay))
        self.PowerOn(context, ports)

    def remote_refresh_ip(self, context, ports, cancellation_context):
        """Reports the addresses through CloudShell's API, as the standard says, not by returning them."""
        with LoggingSessionContext(context) as logger, CloudShellSessionContext(context) as api:
            app = self._deployed_app(context, api)
            vm = cloud_of(context).get_vm(app.vmdetails.uid)
            if vm["power"] != "on":
                raise Exception(f"VM {app.name} is not powered on")
            if vm["ip"] != app.private_ip:
                app.update_private_ip(app.name, vm["ip"])
            if vm["publicIp"] != app.public_ip:
                app.update_public_ip(vm["publicIp"])
            api.WriteMessageToReservationOutput(context.remote_reservation.reservation_id, f"{app.name}: IP {vm['ip']}")
            logger.info("refreshed %s: %s", app.name, vm["ip"])

    def GetVmDetails(self, context, requests, cancellation_context):
        with LoggingSessionContext(context) as logger, CloudShellSessionContext(context) as api:
            return VMDetailsFlow(logger, cloud_of(context)).get_vm_details(GetVMDetailsRequestActions.from_request(requests, api))

    def DeleteInstance(self, context, ports):
        with CloudShellSessionContext(context) as api:
            cloud_of(context).delete_vm(self._deployed_app(context, api).vmdetails.uid)

    def SaveApp(self, context, request, cancellation_context=None):
        """CloudShell's SaveApp: an image of each source VM; deploying with its Image attribute restores it."""
        cloud = cloud_of(context)
        results = []
        for action in SaveRestoreRequestActions.from_request(request).save_app_actions:
            params = action.actionParams
            image = cloud.save_image(params.sourceVmUuid, {"sandbox": params.savedSandboxId, "app": params.sourceAppName,
                                                           "vm": params.sourceVmUuid})
            results.append(SaveAppResult(actionId=action.actionId, artifacts=[Artifact(artifactRef=image["id"], artifactName="image")],
                                         savedEntityAttributes=[Attribute(attributeName="Image", attributeValue=image["id"])],
                                         saveDeploymentModel=params.saveDeploymentModel))
        return DriverResponse(results).to_driver_response_json()

    def DeleteSavedApps(self, context, request, cancellation_context=None):
        cloud = cloud_of(context)
        results = []
        for action in SaveRestoreRequestActions.from_request(request).delete_saved_app_actions:
            for artifact in action.actionParams.artifacts:
                cloud.delete_image(artifact.artifactRef)
            results.append(DeleteSavedAppResult(actionId=action.actionId))
        return DriverResponse(results).to_driver_response_json()

    def ApplyConnectivityChanges(self, context, request):
        service = ParseConnectivityRequestService(is_vlan_range_supported=False, is_multi_vlan_supported=False)
        return ConnectivityFlow(service, cloud_of(context)).apply_connectivity(request)


class FileCloudL3ShellDriver(FileCloudL2ShellDriver):
    def PrepareSandboxInfra(self, context, request, cancellation_context):
        with LoggingSessionContext(context) as logger:
            actions = PrepareSandboxInfraRequestActions.from_request(request)
            return PrepareFlow(logger, cloud_of(context), context.reservation.reservation_id).prepare(actions)

    def CleanupSandboxInfra(self, context, request):
        with LoggingSessionContext(context) as logger:
            actions = CleanupSandboxInfraRequestActions.from_request(request)
            return CleanupFlow(logger, cloud_of(context), context.reservation.reservation_id).cleanup(actions)
