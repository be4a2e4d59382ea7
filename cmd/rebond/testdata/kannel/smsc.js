// The SMSC of cmd/rebond's Kannel end-to-end test (TestKannelEndToEnd), built
// on the npm "smpp" package (not written by rebond). It listens on
// 127.0.0.1:$PORT (0: any free port), prints {"port":N} once listening,
// accepts any bind, and answers each submit_sm by its text, "STAT ERR":
//
//   REFUSE        submit_sm_resp command_status 0x0B (ESME_RINVDSTADR), no receipt
//   DELIVRD 000   submit_sm_resp OK, then a deliver_sm receipt with that stat and err
//   UNDELIV 001   (any other stat and err the same way: EXPIRED 000, UNDELIV 027…)
//
// Receipts follow SMPP 3.4 Appendix B ("id:… sub:… dlvrd:… submit date:…
// done date:… stat:… err:… text:…") with esm_class 0x04, from the handset
// (the submit's destination) to the submit's source. Every submit and
// receipt is printed as one JSON line on stdout.
'use strict';

const smpp = require('smpp');

let nextID = 70000;

function out(obj) {
	process.stdout.write(JSON.stringify(obj) + '\n');
}

function text(sm) {
	if (sm === undefined || sm === null) return '';
	if (Buffer.isBuffer(sm)) return sm.toString('latin1');
	if (typeof sm === 'string') return sm;
	if (sm.message !== undefined) return Buffer.isBuffer(sm.message) ? sm.message.toString('latin1') : String(sm.message);
	return '';
}

function stamp(d) {
	const p = (n) => String(n).padStart(2, '0');
	return p(d.getUTCFullYear() % 100) + p(d.getUTCMonth() + 1) + p(d.getUTCDate()) + p(d.getUTCHours()) + p(d.getUTCMinutes());
}

const server = smpp.createServer((session) => {
	session.on('error', (e) => out({step: 'socket-error', error: String(e)}));
	for (const bind of ['bind_transceiver', 'bind_transmitter', 'bind_receiver']) {
		session.on(bind, (pdu) => {
			session.send(pdu.response({system_id: 'nodesmsc'}));
			out({step: 'bound', command: bind, system_id: pdu.system_id});
		});
	}
	session.on('enquire_link', (pdu) => session.send(pdu.response()));
	session.on('unbind', (pdu) => {
		session.send(pdu.response());
		session.close();
	});
	session.on('submit_sm', (pdu) => {
		const words = text(pdu.short_message).trim().split(/\s+/);
		const stat = words[0] || 'DELIVRD';
		const err = words[1] || '000';
		if (stat === 'REFUSE') {
			session.send(pdu.response({command_status: 0x0b}));
			out({step: 'refused', to: pdu.destination_addr});
			return;
		}
		const id = String(nextID++);
		session.send(pdu.response({message_id: id}));
		out({step: 'submitted', id: id, to: pdu.destination_addr, stat: stat, err: err, registered_delivery: pdu.registered_delivery});
		if (!(pdu.registered_delivery & 1)) return;
		setTimeout(() => {
			const now = stamp(new Date());
			const dlvrd = stat === 'DELIVRD' ? '001' : '000';
			session.deliver_sm({
				source_addr_ton: pdu.dest_addr_ton, source_addr_npi: pdu.dest_addr_npi, source_addr: pdu.destination_addr,
				dest_addr_ton: pdu.source_addr_ton, dest_addr_npi: pdu.source_addr_npi, destination_addr: pdu.source_addr,
				esm_class: smpp.ESM_CLASS.MC_DELIVERY_RECEIPT,
				short_message: `id:${id} sub:001 dlvrd:${dlvrd} submit date:${now} done date:${now} stat:${stat} err:${err} text:`,
			}, (resp) => out({step: 'receipt', id: id, stat: stat, err: err, status: resp.command_status}));
		}, 200);
	});
});

server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
	out({step: 'listening', port: server.address().port});
});
