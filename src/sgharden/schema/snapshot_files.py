"""The AWS CLI outputs a snapshot holds, as far as sgharden relies on them (pydantic v2 models).

One model per file, named after the command that writes it. Only the fields sgharden reads are
declared; everything else AWS writes is allowed and ignored. A declared field is checked by its
grammar (ids, addresses, ports, times), so what the readers in `snapshot.py` index is known there.
"""

# Field types are written `f.GroupId`, and no model class shares a field's name: a field named
# like its type (`GroupId: GroupId | None = None`) would see its own default under lazily
# evaluated annotations (Python 3.14), not the type.
from typing import Literal, Self

from pydantic import BaseModel, model_validator

from sgharden.schema import fields as f


class _Aws(BaseModel):
    model_config = f.AWS_CONFIG


class Tag(_Aws):
    Key: str
    Value: str


class _Peer(_Aws):
    Description: str | None = None


class IpRange(_Peer):
    CidrIp: f.Cidr


class Ipv6Range(_Peer):
    CidrIpv6: f.Cidr


class GroupPair(_Peer):
    GroupId: f.GroupId
    UserId: f.Account | None = None


class PrefixListPeer(_Peer):
    PrefixListId: f.PrefixListId


_PORTED = ("tcp", "udp", "6", "17")


class IpPermission(_Aws):
    IpProtocol: f.Protocol
    FromPort: f.Port | None = None
    ToPort: f.Port | None = None
    IpRanges: list[IpRange] = []
    Ipv6Ranges: list[Ipv6Range] = []
    UserIdGroupPairs: list[GroupPair] = []
    PrefixListIds: list[PrefixListPeer] = []

    @model_validator(mode="after")
    def _port_range(self) -> Self:
        # tcp/udp rules always carry both ports in EC2's output; without them the rule would be
        # read as "all ports" — wider than what AWS holds
        if self.IpProtocol in _PORTED:
            for port in ("FromPort", "ToPort"):
                if getattr(self, port) is None:
                    raise ValueError(f"{port}: missing (EC2 writes both ports of a tcp/udp rule)")
            assert self.FromPort is not None and self.ToPort is not None
            if not 0 <= self.FromPort <= self.ToPort:
                raise ValueError(f"FromPort: {self.FromPort} is not within 0..ToPort {self.ToPort}")
        return self


class SecurityGroup(_Aws):
    GroupId: f.GroupId
    GroupName: str = ""
    Description: str = ""
    VpcId: f.VpcId | None = None
    OwnerId: f.Account | None = None
    IpPermissions: list[IpPermission] = []
    IpPermissionsEgress: list[IpPermission] = []
    Tags: list[Tag] = []


class SecurityGroupsFile(_Aws):
    SecurityGroups: list[SecurityGroup]

    @model_validator(mode="after")
    def _unique(self) -> Self:
        seen: set[str] = set()
        for group in self.SecurityGroups:
            if group.GroupId in seen:
                raise ValueError(f"GroupId {group.GroupId} appears twice")
            seen.add(group.GroupId)
        return self


class PrivateAddress(_Aws):
    PrivateIpAddress: f.Address
    Primary: bool = False


class Ipv6Address(_Aws):
    Ipv6Address: f.Address


class AssociationInfo(_Aws):
    PublicIp: f.Address | None = None


class AttachmentInfo(_Aws):
    InstanceId: f.InstanceId | None = None
    AttachTime: f.IsoTime | None = None


class GroupIdentifier(_Aws):
    GroupId: f.GroupId


class NetworkInterface(_Aws):
    NetworkInterfaceId: f.InterfaceId
    OwnerId: f.Account | None = None
    VpcId: f.VpcId | None = None
    SubnetId: f.SubnetId | None = None
    AvailabilityZone: str | None = None
    Groups: list[GroupIdentifier] = []
    PrivateIpAddress: f.Address | None = None
    PrivateIpAddresses: list[PrivateAddress] | None = None
    Ipv6Addresses: list[Ipv6Address] = []
    Association: AssociationInfo | None = None
    Attachment: AttachmentInfo | None = None
    InterfaceType: str = "interface"
    RequesterManaged: bool = False
    Description: str = ""
    Status: str = ""


class NetworkInterfacesFile(_Aws):
    NetworkInterfaces: list[NetworkInterface]


class FlowLogDestination(_Aws):
    FileFormat: Literal["plain-text", "parquet"] = "plain-text"
    HiveCompatiblePartitions: bool = False
    PerHourPartition: bool = False


class FlowLog(_Aws):
    FlowLogId: f.FlowLogId
    ResourceId: f.FlowLogResource
    LogFormat: f.LogFormat | None = None
    LogDestinationType: Literal["cloud-watch-logs", "s3", "kinesis-data-firehose"] = (
        "cloud-watch-logs"
    )
    LogDestination: str | None = None
    LogGroupName: str | None = None
    TrafficType: Literal["ALL", "ACCEPT", "REJECT"] = "ALL"
    MaxAggregationInterval: Literal[60, 600] = 600
    DestinationOptions: FlowLogDestination | None = None
    CreationTime: f.IsoTime | None = None
    FlowLogStatus: str = "ACTIVE"
    DeliverLogsStatus: str | None = None
    DeliverLogsErrorMessage: str | None = None
    Tags: list[Tag] = []


class FlowLogsFile(_Aws):
    FlowLogs: list[FlowLog]


class InstanceInterface(_Aws):
    NetworkInterfaceId: f.InterfaceId


class InstanceState(_Aws):
    Name: str = ""


class Instance(_Aws):
    InstanceId: f.InstanceId
    VpcId: f.VpcId | None = None
    PublicIpAddress: f.Address | None = None
    NetworkInterfaces: list[InstanceInterface] = []
    SecurityGroups: list[GroupIdentifier] = []
    State: InstanceState | None = None
    Tags: list[Tag] = []


class Reservation(_Aws):
    OwnerId: f.Account | None = None
    Instances: list[Instance] = []


class InstancesFile(_Aws):
    Reservations: list[Reservation]


class DbSubnetGroup(_Aws):
    VpcId: f.VpcId | None = None


class VpcSecurityGroup(_Aws):
    VpcSecurityGroupId: f.GroupId


class EndpointInfo(_Aws):
    Address: str | None = None
    Port: f.Port | None = None


class DbInstance(_Aws):
    DBInstanceIdentifier: f.DbIdentifier
    DBSubnetGroup: DbSubnetGroup | None = None
    PubliclyAccessible: bool = False
    VpcSecurityGroups: list[VpcSecurityGroup] = []
    Engine: str = ""
    Endpoint: EndpointInfo | None = None
    DbInstancePort: f.Port | None = None
    DBInstanceArn: str = ""


class DbInstancesFile(_Aws):
    DBInstances: list[DbInstance]


class ReferencedGroup(_Aws):
    GroupId: f.GroupId | None = None


class SecurityGroupRule(_Aws):
    SecurityGroupRuleId: f.RuleId
    GroupId: f.GroupId
    IsEgress: bool
    IpProtocol: f.Protocol
    FromPort: f.Port | None = None
    ToPort: f.Port | None = None
    CidrIpv4: f.Cidr | None = None
    CidrIpv6: f.Cidr | None = None
    ReferencedGroupInfo: ReferencedGroup | None = None
    PrefixListId: f.PrefixListId | None = None
    Description: str | None = None

    @model_validator(mode="after")
    def _one_peer(self) -> Self:
        referenced = self.ReferencedGroupInfo and self.ReferencedGroupInfo.GroupId
        peers = [self.CidrIpv4, self.CidrIpv6, referenced, self.PrefixListId]
        if sum(p is not None for p in peers) != 1:
            raise ValueError(
                "needs exactly one of CidrIpv4, CidrIpv6, ReferencedGroupInfo.GroupId, PrefixListId"
            )
        return self


class SecurityGroupRulesFile(_Aws):
    SecurityGroupRules: list[SecurityGroupRule]


class ManagedPrefixList(_Aws):
    PrefixListId: f.PrefixListId
    PrefixListName: str = ""


class ManagedPrefixListsFile(_Aws):
    PrefixLists: list[ManagedPrefixList]


class PrefixListEntry(_Aws):
    Cidr: f.Cidr
    Description: str | None = None


class PrefixListEntriesFile(_Aws):
    Entries: list[PrefixListEntry]


# top-level key -> the model of the file it opens (prefix-list-entries/<pl>.json has "Entries")
BY_KEY: dict[str, type[BaseModel]] = {
    "SecurityGroups": SecurityGroupsFile,
    "NetworkInterfaces": NetworkInterfacesFile,
    "FlowLogs": FlowLogsFile,
    "Reservations": InstancesFile,
    "DBInstances": DbInstancesFile,
    "SecurityGroupRules": SecurityGroupRulesFile,
    "PrefixLists": ManagedPrefixListsFile,
    "Entries": PrefixListEntriesFile,
}
