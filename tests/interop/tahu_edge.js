// An edge node made with Eclipse Tahu's sparkplug-client (npm), for tests/interop/test_tahu.py.
//
// usage: node tahu_edge.js BROKER_URL GROUP EDGE DEVICE CHANGES.json
// Publishes NBIRTH, the device's DBIRTH, then one DDATA per change of CHANGES.json
// ([{"ts": ms, "state": "...", "reason": "...", "processed": n}, ...]), metrics by name as
// Tahu's examples do. Answers a rebirth request (NCMD Node Control/Rebirth = true) with its
// births. Prints one JSON line per event ("born", "sent", "rebirth") and stops (NDEATH, then
// DISCONNECT) when it reads "stop" on stdin.
"use strict";
const sparkplug = require("sparkplug-client");

const [url, group, edge, device, changesFile] = process.argv.slice(2);
const changes = JSON.parse(require("fs").readFileSync(changesFile, "utf8"));
const t0 = changes.length ? changes[0].ts - 1000 : Date.now();
const say = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");

const client = sparkplug.newClient({
  serverUrl: url, username: "", password: "", groupId: group, edgeNode: edge,
  clientId: "tahu-edge-" + edge, version: "spBv1.0", publishDeath: true,
});

let current = { ts: t0, state: "idle", reason: "", processed: 0 };

function births() {
  client.publishNodeBirth({
    timestamp: Date.now(),
    metrics: [
      { name: "Node Control/Rebirth", type: "boolean", value: false, timestamp: Date.now() },
      { name: "Properties/Hardware Make", type: "string", value: "Eclipse Tahu", timestamp: t0 },
    ],
  });
  client.publishDeviceBirth(device, {
    timestamp: Date.now(),
    metrics: [
      { name: "State", type: "string", value: current.state, timestamp: current.ts },
      { name: "StopReason", type: "string", value: current.reason, timestamp: current.ts },
      { name: "Counters/Processed", type: "uint64", value: current.processed, timestamp: current.ts },
      { name: "Counters/Defective", type: "uint64", value: 0, timestamp: t0 },
      { name: "Parameters/stack_force_n", type: "double", value: 1.5, timestamp: t0 },
    ],
  });
  say({ event: "born" });
}

client.on("birth", () => {
  births();
  for (const c of changes) {
    current = c;
    client.publishDeviceData(device, {
      timestamp: Date.now(),
      metrics: [
        { name: "StopReason", type: "string", value: c.reason, timestamp: c.ts },
        { name: "State", type: "string", value: c.state, timestamp: c.ts },
        { name: "Counters/Processed", type: "uint64", value: c.processed, timestamp: c.ts },
      ],
    });
  }
  say({ event: "sent", count: changes.length });
});

client.on("ncmd", (payload) => {
  for (const m of payload.metrics || []) {
    if (m.name === "Node Control/Rebirth" && m.value === true) {
      say({ event: "rebirth", type: m.type, timestamp: Number(payload.timestamp) });
      births();
    }
  }
});

require("readline").createInterface({ input: process.stdin }).on("line", (line) => {
  if (line.trim() === "stop") client.stop(() => process.exit(0));
});
