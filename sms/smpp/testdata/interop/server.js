// A fake SMSC built on the npm "smpp" package (not written by rebond), for
// sms/smpp's TestInteropNodeSMSC. It listens on 127.0.0.1:$PORT (0: any
// free port), accepts binds of system_id "rebond" / password "secret" and
// plays a fixed scenario; every step it observes is printed as one JSON
// line on stdout, which the Go test reads.
//
// Session 1: wait for the ESME's first enquire_link, push receipts (text
// delivered and failed, TLVs only, a data_sm), send an enquire_link of
// its own, write two malformed PDUs raw to the socket (an unknown
// command_id and a deliver_sm cut short), push one more receipt to show
// the bind survived, then write half of a receipt and cut the connection.
// Session 2: push the cut receipt whole, then a message_payload receipt,
// print "done", and answer the ESME's unbind when the test stops it.
'use strict';

const smpp = require('smpp');

const WAIT_MS = 5000;
let sessions = 0;

function out(obj) {
	process.stdout.write(JSON.stringify(obj) + '\n');
}

function fail(msg) {
	out({step: 'error', error: msg});
	process.exit(1);
}

// A session wrapper that resolves a promise when the response with a given
// sequence_number arrives (generic_nack included).
function track(session, n) {
	const waiting = new Map();
	session.on('pdu', (pdu) => {
		if (pdu.isResponse() && waiting.has(pdu.sequence_number)) {
			const resolve = waiting.get(pdu.sequence_number);
			waiting.delete(pdu.sequence_number);
			resolve(pdu);
		}
	});
	function awaitSeq(seq, name) {
		return new Promise((resolve) => {
			const timer = setTimeout(() => fail(`session ${n}: no response to ${name} (seq ${seq})`), WAIT_MS);
			waiting.set(seq, (pdu) => {
				clearTimeout(timer);
				out({session: n, step: 'resp', name: name, command: pdu.command, seq: pdu.sequence_number, status: pdu.command_status});
				resolve(pdu);
			});
		});
	}
	return {
		send(command, params, name) {
			const pdu = new smpp.PDU(command, params);
			session.send(pdu);
			return awaitSeq(pdu.sequence_number, name);
		},
		raw(buf, seq, name) {
			session.socket.write(buf);
			return awaitSeq(seq, name);
		},
	};
}

function receipt(text, tlvs) {
	return Object.assign({
		source_addr_ton: 1, source_addr_npi: 1, source_addr: '447700900100',
		destination_addr: 'REBOND', esm_class: smpp.ESM_CLASS.MC_DELIVERY_RECEIPT,
		short_message: text,
	}, tlvs || {});
}

// header builds a raw PDU: command_length, command_id, status 0, seq.
function rawPDU(id, seq, body) {
	const b = Buffer.alloc(16 + body.length);
	b.writeUInt32BE(16 + body.length, 0);
	b.writeUInt32BE(id, 4);
	b.writeUInt32BE(0, 8);
	b.writeUInt32BE(seq, 12);
	body.copy(b, 16);
	return b;
}

async function session1(t, firstEnquire) {
	await firstEnquire;
	await t.send('deliver_sm', receipt('id:n-1 sub:001 dlvrd:001 submit date:2611221000 done date:2611221001 stat:DELIVRD err:000 text:x'), 'n-1');
	await t.send('deliver_sm', receipt('id:n-2 sub:001 dlvrd:000 submit date:2611221000 done date:2611221002 stat:UNDELIV err:001 text:x'), 'n-2');
	await t.send('deliver_sm', receipt('', {
		receipted_message_id: 'n-3', message_state: 5, network_error_code: Buffer.from([3, 0, 1]),
	}), 'n-3');
	await t.send('data_sm', {
		source_addr_ton: 1, source_addr_npi: 1, source_addr: '447700900104', destination_addr: 'REBOND',
		esm_class: smpp.ESM_CLASS.MC_DELIVERY_RECEIPT, registered_delivery: 0, data_coding: 0,
		receipted_message_id: 'n-4', message_state: 2,
	}, 'n-4');
	await t.send('enquire_link', {}, 'enquire_link');
	await t.raw(rawPDU(0x00000999, 90001, Buffer.alloc(0)), 90001, 'unknown-command');
	await t.raw(rawPDU(0x00000005, 90002, Buffer.from([0, 1, 1, 0x34, 0x34])), 90002, 'truncated-deliver_sm');
	await t.send('deliver_sm', receipt(Buffer.from('id:n-5 stat:DELIVRD err:000')), 'n-5');
}

function cutReceipt(seq) {
	const pdu = new smpp.PDU('deliver_sm', receipt('id:n-6 sub:001 dlvrd:000 submit date:2611221000 done date:2611221003 stat:EXPIRED err:027 text:x'));
	pdu.sequence_number = seq;
	return pdu;
}

async function session2(t) {
	await t.send('deliver_sm', receipt('id:n-6 sub:001 dlvrd:000 submit date:2611221000 done date:2611221003 stat:EXPIRED err:027 text:x'), 'n-6');
	await t.send('deliver_sm', receipt('', {
		message_payload: Buffer.from('id:n-7 stat:DELIVRD err:000'),
	}), 'n-7');
}

const server = smpp.createServer((session) => {
	const n = ++sessions;
	const t = track(session, n);
	let enquires = 0;
	let gotFirstEnquire;
	const firstEnquire = new Promise((resolve) => { gotFirstEnquire = resolve; });
	session.on('error', (e) => out({session: n, step: 'socket-error', error: String(e)}));
	session.on('enquire_link', (pdu) => {
		enquires++;
		session.send(pdu.response());
		gotFirstEnquire();
	});
	session.on('unbind', (pdu) => {
		out({session: n, step: 'unbind', enquire_links: enquires});
		session.send(pdu.response());
	});
	const onBind = (pdu) => {
		if (pdu.system_id !== 'rebond' || pdu.password !== 'secret') {
			session.send(pdu.response({command_status: smpp.ESME_RBINDFAIL}));
			out({session: n, step: 'bind-refused', system_id: pdu.system_id});
			return;
		}
		session.send(pdu.response({system_id: 'node-smsc'}));
		out({session: n, step: 'bound', command: pdu.command});
		if (n === 1) {
			session1(t, firstEnquire).then(() => {
				const buf = cutReceipt(95001).toBuffer();
				session.socket.write(buf.subarray(0, Math.floor(buf.length / 2)), () => {
					out({session: n, step: 'cut', enquire_links: enquires});
					session.socket.destroy();
				});
			}, (e) => fail(String(e)));
		} else if (n === 2) {
			session2(t).then(() => out({session: n, step: 'done'}), (e) => fail(String(e)));
		}
	};
	session.on('bind_receiver', onBind);
	session.on('bind_transceiver', onBind);
});

server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
	out({step: 'listening', port: server.address().port});
});
