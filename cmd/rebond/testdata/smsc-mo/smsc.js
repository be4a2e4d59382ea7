// The SMSC of cmd/rebond's SMPP inbound end-to-end test (TestSMPPInboundStop),
// built on the npm "smpp" package (not written by rebond). It listens on
// 127.0.0.1:$PORT (0: any free port), prints {"port":N} once listening,
// accepts any bind, and on the first one delivers the mobile-originated
// messages below as deliver_sm (esm_class 0: no receipt), one after the
// other, each once its deliver_sm_resp came back. The package picks each
// text's data_coding: GSM 03.38 under 1 for "Stop svp", Latin-1 (3) for
// "Arrêt", UCS-2 (8) for an emoji. Every step is printed as one JSON line
// on stdout, the last {"step":"done"}.
'use strict';

const smpp = require('smpp');

const messages = [
	{from: '33612345678', text: 'Stop svp'},
	{from: '33612345679', text: 'Arrêt'},
	{from: '33612345680', text: 'Désabonner'},
	{from: '33612345682', text: 'ARRÊT 🙏'},
	{from: '33612345681', text: "C'est à quelle heure ?"},
	{from: '33612345678', text: 'START'},
];

function out(obj) {
	process.stdout.write(JSON.stringify(obj) + '\n');
}

let delivered = false;

function deliver(session, i) {
	if (i === messages.length) {
		out({step: 'done'});
		return;
	}
	const m = messages[i];
	session.deliver_sm({
		source_addr_ton: 1, source_addr_npi: 1, source_addr: m.from,
		dest_addr_ton: 0, dest_addr_npi: 0, destination_addr: '36180',
		esm_class: 0, short_message: m.text,
	}, (resp) => {
		out({step: 'mo', from: m.from, text: m.text, status: resp.command_status});
		deliver(session, i + 1);
	});
}

const server = smpp.createServer((session) => {
	session.on('error', (e) => out({step: 'socket-error', error: String(e)}));
	for (const bind of ['bind_transceiver', 'bind_receiver']) {
		session.on(bind, (pdu) => {
			session.send(pdu.response({system_id: 'nodesmsc'}));
			out({step: 'bound', command: bind, system_id: pdu.system_id});
			if (!delivered) {
				delivered = true;
				deliver(session, 0);
			}
		});
	}
	session.on('enquire_link', (pdu) => session.send(pdu.response()));
	session.on('unbind', (pdu) => {
		session.send(pdu.response());
		session.close();
	});
});

server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
	out({step: 'listening', port: server.address().port});
});
