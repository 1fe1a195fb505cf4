// Decodes every Sparkplug B message on a broker with Eclipse Tahu's sparkplug-payload (npm),
// for tests/interop/test_tahu.py: one JSON line per message ({"topic", "payload"}), 64-bit
// integers as decimal strings. usage: node tahu_decode.js BROKER_URL [TOPIC]
"use strict";
const mqtt = require("mqtt");  // sparkplug-client's MQTT library
const spb = require("sparkplug-payload").get("spBv1.0");

const [url, topic = "spBv1.0/#"] = process.argv.slice(2);
const client = mqtt.connect(url, { clientId: "tahu-decoder", clean: true });
const plain = (key, value) =>
  value !== null && typeof value === "object" && "low" in value && "high" in value
    ? value.toString() : value;

client.on("connect", () => {
  client.subscribe(topic, { qos: 0 }, () => process.stdout.write('{"subscribed": true}\n'));
});
client.on("message", (t, message) => {
  if (t.startsWith("spBv1.0/STATE/")) return;
  let payload;
  try {
    payload = spb.decodePayload(message);
  } catch (err) {
    payload = { error: String(err) };
  }
  process.stdout.write(JSON.stringify({ topic: t, payload }, plain) + "\n");
});
