// Decodes cordon's NDJSON events with the OpenTelemetry protobuf definitions
// (the protobufjs module @opentelemetry/otlp-transformer generates from
// opentelemetry-proto): each line must survive JSON -> protobuf -> JSON
// unchanged, so a misspelled field (dropped by fromObject), a number where
// the mapping wants a string, or a bad enum shows as a difference.
// usage: node otlp_check.js NODE_PREFIX EVENTS.ndjson
const root = require(require('path').resolve(process.argv[2],
  'node_modules/@opentelemetry/otlp-transformer/build/src/generated/root.js'));
const LogsData = root.opentelemetry.proto.logs.v1.LogsData;
const canon = v => Array.isArray(v) ? v.map(canon)
  : v && typeof v === 'object'
    ? Object.fromEntries(Object.keys(v).sort().map(k => [k, canon(v[k])])) : v;
let n = 0, sev = new Set();
for (const line of require('fs').readFileSync(process.argv[3], 'utf8').split('\n')) {
  if (!line) continue;
  const obj = JSON.parse(line);
  const err = LogsData.verify(LogsData.fromObject(obj));
  if (err) { console.log('INVALID ' + err); process.exit(1); }
  const back = LogsData.toObject(LogsData.decode(LogsData.encode(LogsData.fromObject(obj)).finish()),
                                 { longs: String, enums: Number });
  const a = JSON.stringify(canon(obj)), b = JSON.stringify(canon(back));
  if (a !== b) { console.log('MISMATCH\n' + a + '\n' + b); process.exit(1); }
  for (const r of back.resourceLogs[0].scopeLogs[0].logRecords) {
    if (typeof r.timeUnixNano !== 'string' || typeof obj.resourceLogs[0].scopeLogs[0].logRecords[0].timeUnixNano !== 'string') {
      console.log('timeUnixNano not a string'); process.exit(1);
    }
    sev.add(r.severityNumber + ':' + r.severityText);
    n++;
  }
}
console.log('decoded ' + n + ' records; severities ' + [...sev].sort().join(' '));
