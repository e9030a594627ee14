# os-ken L2 learning switch for OpenFlow 1.0: the Python peer of the cbench comparison.
# Run: osken-manager --ofp-tcp-listen-port PORT bench/peers/osken_l2.py
# Like ovs-testcontroller it answers each packet-in with exactly one message: a FLOW_MOD carrying the
# packet's buffer id when the destination is known, else a flooding PACKET_OUT. Addresses are read as raw
# bytes (no os_ken.lib.packet parse), which flatters os-ken a little; the comparison stays conservative.
from os_ken.base import app_manager
from os_ken.controller import ofp_event
from os_ken.controller.handler import MAIN_DISPATCHER, set_ev_cls
from os_ken.ofproto import ofproto_v1_0


class L2Learning(app_manager.OSKenApp):
    OFP_VERSIONS = [ofproto_v1_0.OFP_VERSION]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mac_to_port = {}  # dpid -> {mac bytes: port}

    @set_ev_cls(ofp_event.EventOFPPacketIn, MAIN_DISPATCHER)
    def packet_in(self, ev):
        msg = ev.msg
        dp = msg.datapath
        ofp = dp.ofproto
        parser = dp.ofproto_parser
        data = msg.data
        if len(data) < 14:
            return
        dst, src = data[0:6], data[6:12]
        table = self.mac_to_port.setdefault(dp.id, {})
        table[src] = msg.in_port
        out_port = table.get(dst, ofp.OFPP_FLOOD)
        actions = [parser.OFPActionOutput(out_port)]
        buffered = msg.buffer_id != ofp.OFP_NO_BUFFER
        if out_port != ofp.OFPP_FLOOD:
            match = parser.OFPMatch(in_port=msg.in_port, dl_dst=dst)
            dp.send_msg(parser.OFPFlowMod(
                datapath=dp, match=match, command=ofp.OFPFC_ADD, idle_timeout=60,
                priority=ofp.OFP_DEFAULT_PRIORITY, buffer_id=msg.buffer_id, actions=actions))
            if buffered:
                return
        dp.send_msg(parser.OFPPacketOut(
            datapath=dp, buffer_id=msg.buffer_id, in_port=msg.in_port, actions=actions,
            data=None if buffered else data))
