"""filecloud_sdk: the "cloud SDK" the sample drivers call, as a real shell calls boto3 or pyVmomi.

The cloud is a JSON file of VMs and sandbox networks, read and written under an exclusive lock
for each call, so that any number of processes share it. Standard library only.
"""
import fcntl
import ipaddress
import json
import os
import uuid


class NotFound(Exception):
    """The VM does not exist."""


class FileCloud:
    def __init__(self, path):
        self.path = path or ".filecloud.json"

    def _open(self):
        return _Transaction(self.path)

    # VMs

    def create_vm(self, name, tags, cidr, subnets=(), public=False):
        """Creates a VM, powered off, tagged at creation (in the same write, so no VM is ever
        untagged), with an address from the first subnet's CIDR or `cidr`."""
        with self._open() as data:
            if any(vm["name"] == name for vm in data["vms"].values()):
                raise ValueError("a VM named %s already exists" % name)
            used = {vm["ip"] for vm in data["vms"].values()}
            network = ipaddress.ip_network(subnets[0]["cidr"] if subnets else cidr)
            ip = next(str(h) for h in network.hosts() if str(h) not in used and int(h) & 0xFF > 1)
            vm = {"uid": "vm-" + uuid.uuid4().hex[:12], "name": name, "tags": dict(tags), "ip": ip,
                  "publicIp": "203.0.113.%d" % (int(ipaddress.ip_address(ip)) % 200 + 2) if public else "",
                  "power": "off", "vlans": {}, "subnets": [s["id"] for s in subnets]}
            data["vms"][vm["uid"]] = vm
            return dict(vm)

    def get_vm(self, uid):
        with self._open() as data:
            vm = data["vms"].get(uid)
            if vm is None:
                raise NotFound("VM %s not found" % uid)
            return dict(vm)

    def list_vms(self, **tags):
        with self._open() as data:
            return [dict(vm) for vm in data["vms"].values() if all(vm["tags"].get(k) == v for k, v in tags.items())]

    def set_power(self, uid, power):
        with self._open() as data:
            if uid not in data["vms"]:
                raise NotFound("VM %s not found" % uid)
            data["vms"][uid]["power"] = power

    # Images

    def save_image(self, uid, tags):
        """Saves a VM as an image, tagged at creation; one with the same tags is answered instead."""
        with self._open() as data:
            images = data.setdefault("images", {})
            for image in images.values():
                if image["tags"] == dict(tags):
                    return dict(image)
            if uid not in data["vms"]:
                raise NotFound("VM %s not found" % uid)
            image = {"id": "fileimg-" + uuid.uuid4().hex[:8], "vm": uid, "tags": dict(tags)}
            images[image["id"]] = image
            return dict(image)

    def delete_image(self, image_id):
        """Deletes an image; one that is gone already is fine."""
        with self._open() as data:
            data.setdefault("images", {}).pop(image_id, None)

    def delete_vm(self, uid):
        """Deletes a VM; one that is gone already is fine."""
        with self._open() as data:
            data["vms"].pop(uid, None)

    def connect_vlan(self, uid, vlan):
        with self._open() as data:
            vm = data["vms"].get(uid)
            if vm is None:
                raise NotFound("VM %s not found" % uid)
            mac = "02:fc:%02x:%02x:%02x:%02x" % (len(vm["vlans"]), int(vlan) >> 8 & 0xFF, int(vlan) & 0xFF, int(uid[-2:], 16))
            vm["vlans"][str(vlan)] = vm["vlans"].get(str(vlan), mac)
            return vm["vlans"][str(vlan)]

    def disconnect_vlan(self, uid, vlan):
        with self._open() as data:
            vm = data["vms"].get(uid)
            if vm is not None:
                vm["vlans"].pop(str(vlan), None)

    # Sandbox networks (L3)

    def ensure_network(self, sandbox, cidr):
        with self._open() as data:
            net = data["networks"].setdefault(sandbox, {"id": "net-" + uuid.uuid4().hex[:8], "cidr": cidr, "subnets": {}, "key": ""})
            return net["id"]

    def ensure_subnet(self, sandbox, alias, cidr, public):
        with self._open() as data:
            net = data["networks"].get(sandbox)
            if net is None:
                raise NotFound("sandbox %s has no network" % sandbox)
            for sid, s in net["subnets"].items():
                if s["alias"] == alias and s["cidr"] == cidr:
                    return sid
            sid = "subnet-" + uuid.uuid4().hex[:8]
            net["subnets"][sid] = {"alias": alias, "cidr": cidr, "public": bool(public)}
            return sid

    def subnet(self, sandbox, sid):
        with self._open() as data:
            s = data["networks"].get(sandbox, {}).get("subnets", {}).get(sid)
            if s is None:
                raise NotFound("subnet %s of sandbox %s not found" % (sid, sandbox))
            return dict(s, id=sid)

    def ensure_key(self, sandbox):
        with self._open() as data:
            net = data["networks"][sandbox]
            net["key"] = net["key"] or "ssh-ed25519 AAAA" + uuid.uuid4().hex
            return net["key"]

    def delete_subnet(self, sandbox, sid):
        with self._open() as data:
            if any(sid in vm["subnets"] for vm in data["vms"].values()):
                raise ValueError("subnet %s still has VMs on it" % sid)
            data["networks"].get(sandbox, {}).get("subnets", {}).pop(sid, None)

    def delete_network(self, sandbox):
        with self._open() as data:
            net = data["networks"].get(sandbox)
            if net and any(set(vm["subnets"]) & set(net["subnets"]) for vm in data["vms"].values()):
                raise ValueError("sandbox %s still has VMs on its subnets" % sandbox)
            data["networks"].pop(sandbox, None)


class _Transaction:
    def __init__(self, path):
        self.path = path

    def __enter__(self):
        self.lock = open(self.path + ".lock", "w")
        fcntl.flock(self.lock, fcntl.LOCK_EX)
        try:
            with open(self.path) as f:
                self.data = json.load(f)
        except FileNotFoundError:
            self.data = {"vms": {}, "networks": {}}
        return self.data

    def __exit__(self, kind, value, tb):
        if kind is None:
            with open(self.path + ".tmp", "w") as f:
                json.dump(self.data, f, indent=1, sort_keys=True)
                f.flush()
                os.fsync(f.fileno())
            os.replace(self.path + ".tmp", self.path)
        self.lock.close()
