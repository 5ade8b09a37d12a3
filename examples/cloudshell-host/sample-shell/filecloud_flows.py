"""The sample cloud's flows, on Quali's cloudshell-cp-core and cloudshell-shell-connectivity-flow:
the classes every 2nd-gen cloud provider shell subclasses. The sample shell (driver.py) and the
cp-core process driver (examples/drivers/cpcore_driver.py) both use them.
"""
import time

from cloudshell.cp.core.cancellation_manager import CancellationContextManager
from cloudshell.cp.core.flows import (AbstractCleanupSandboxInfraFlow, AbstractDeployFlow, AbstractPrepareSandboxInfraFlow,
                                      AbstractVMDetailsFlow)
from cloudshell.cp.core.request_actions.models import (DeployAppResult, VmDetailsData, VmDetailsNetworkInterface,
                                                       VmDetailsProperty)
from cloudshell.cp.core.rollback import RollbackCommand, RollbackCommandsManager
from cloudshell.shell.flows.connectivity.basic_flow import AbstractConnectivityFlow
from cloudshell.shell.flows.connectivity.models.driver_response import ConnectivityActionResult

from filecloud_sdk import NotFound


class CreateVM(RollbackCommand):
    """Creates the VM; rolled back (deleted) if a later step of the deploy fails or is cancelled."""

    def __init__(self, rollback_manager, cancellation_manager, cloud, **vm):
        super().__init__(rollback_manager=rollback_manager, cancellation_manager=cancellation_manager)
        self._cloud, self._vm, self.created = cloud, vm, None

    def _execute(self):
        self.created = self._cloud.create_vm(**self._vm)
        return self.created

    def rollback(self):
        if self.created:
            self._cloud.delete_vm(self.created["uid"])


class DeployFlow(AbstractDeployFlow):
    """`name_vm(deploy_app)` gives the VM's name: the shell generates one, as CloudShell shells do;
    the cp-core driver uses the one firm gives."""

    def __init__(self, logger, cloud, cidr, sandbox, cancellation_context, name_vm):
        super().__init__(logger)
        self._cloud, self._cidr, self._sandbox = cloud, cidr, sandbox
        self._cancellation, self._name_vm = cancellation_context, name_vm

    def _deploy(self, request_actions):
        deploy_app = request_actions.deploy_app
        subnets = [self._cloud.subnet(self._sandbox, s.subnet_id) for s in request_actions.connect_subnets]
        public = any(s.is_public() for s in request_actions.connect_subnets)
        name = self._name_vm(deploy_app)
        tags = {"CreatedBy": "filecloud-shell", "ReservationId": self._sandbox, "App": deploy_app.actionParams.appName,
                "DeploymentPath": deploy_app.actionParams.deployment.deploymentPath}
        rollback = RollbackCommandsManager(self._logger)
        cancellation = CancellationContextManager(self._cancellation)
        with rollback:
            with cancellation:
                pass  # cancelled before anything was made: nothing to undo
            vm = CreateVM(rollback, cancellation, self._cloud, name=name, tags=tags, cidr=self._cidr, subnets=subnets,
                          public=public).execute()
            # The deployment path's "Boot Delay" (seconds): how long the VM takes to be ready.
            time.sleep(float(deploy_app._get_app_resource_attribute("Boot Delay") or 0))
            with cancellation:
                pass  # cancelled while the VM was made: the rollback deletes it
        self._logger.info("deployed %s (%s) at %s", vm["name"], vm["uid"], vm["ip"])
        return DeployAppResult(actionId=deploy_app.actionId, vmUuid=vm["uid"], vmName=vm["name"], deployedAppAddress=vm["ip"],
                               deployedAppAdditionalData={"auto_delete": True, "auto_power_off": True, "ip_regex": ""},
                               vmDetailsData=vm_details_data(vm, deploy_app.actionParams.appName))


def vm_details_data(vm, app_name):
    """CloudShell's VmDetailsData: instance properties, and one interface per network (the VLAN id
    on L2, the subnet id on L3) after the primary one."""
    primary = VmDetailsNetworkInterface(interfaceId="0", networkId="", isPrimary=True, privateIpAddress=vm["ip"],
                                        publicIpAddress=vm["publicIp"])
    others = [VmDetailsNetworkInterface(interfaceId=str(i + 1), networkId=network, privateIpAddress=vm["ip"],
                                        networkData=[VmDetailsProperty(key="MAC Address", value=mac)])
              for i, (network, mac) in enumerate(sorted(vm["vlans"].items()) + [(s, "") for s in vm["subnets"]])]
    return VmDetailsData(appName=app_name, vmInstanceData=[VmDetailsProperty(key="Instance Name", value=vm["name"]),
                                                           VmDetailsProperty(key="Power", value=vm["power"])],
                         vmNetworkData=[primary] + others)


class VMDetailsFlow(AbstractVMDetailsFlow):
    def __init__(self, logger, cloud):
        super().__init__(logger)
        self._cloud = cloud

    def _get_vm_details(self, deployed_app):
        try:
            return vm_details_data(self._cloud.get_vm(deployed_app.vmdetails.uid), deployed_app.name)
        except NotFound as error:
            return VmDetailsData(appName=deployed_app.name, errorMessage=str(error))


class PrepareFlow(AbstractPrepareSandboxInfraFlow):
    def __init__(self, logger, cloud, sandbox):
        super().__init__(logger)
        self._cloud, self._sandbox = cloud, sandbox

    def prepare_common_objects(self, request_actions):
        self._cloud.ensure_network(self._sandbox, request_actions.sandbox_cidr)

    def prepare_cloud_infra(self, request_actions):
        pass  # the network is made first, in prepare_common_objects: the subnets need it

    def prepare_subnets(self, request_actions):
        return {a.actionId: self._cloud.ensure_subnet(self._sandbox, a.actionParams.alias, a.actionParams.cidr, a.actionParams.isPublic)
                for a in request_actions.prepare_subnets}

    def create_ssh_keys(self, request_actions):
        return self._cloud.ensure_key(self._sandbox)


class CleanupFlow(AbstractCleanupSandboxInfraFlow):
    def __init__(self, logger, cloud, sandbox):
        super().__init__(logger)
        self._cloud, self._sandbox = cloud, sandbox

    def cleanup_sandbox_infra(self, request_actions):
        self._cloud.delete_network(self._sandbox)


class ConnectivityFlow(AbstractConnectivityFlow):
    """VLANs on the VM's interfaces; updatedInterface is the interface's MAC address."""

    def __init__(self, parse_service, cloud):
        super().__init__(parse_service)
        self._cloud = cloud

    def _set_vlan(self, action):
        mac = self._cloud.connect_vlan(action.custom_action_attrs.vm_uuid, action.connection_params.vlan_id)
        return ConnectivityActionResult.success_result_vm(action, "VLAN %s set" % action.connection_params.vlan_id, mac)

    def _remove_vlan(self, action):
        self._cloud.disconnect_vlan(action.custom_action_attrs.vm_uuid, action.connection_params.vlan_id)
        return ConnectivityActionResult.success_result(action, "VLAN %s removed" % action.connection_params.vlan_id)
