// Generates one month of the demo client's traffic (docs/guides/reports.md, "A demo month") and posts it through
// the HTTP API: calls as arrays of up to 1,000 (POST /api/calls), messages one by one (POST /api/messages).
// Deterministic for a seed. Local times are Europe/Paris, the demo contract's zone.
const [base, month, callCount, seedText] = process.argv.slice(2);
const operatorKey = 'dev-operator-key-00000000000000';
const number = '+33186950000';
let seed = Number(seedText) >>> 0 || 1;
const random = () => { seed = (seed * 1664525 + 1013904223) >>> 0; return seed / 4294967296; };
const pick = (items) => items[Math.floor(random() * items.length)];

// The UTC instant of a Paris local time (the offset that maps back to the same wall clock).
function parisToUtc(year, monthIndex, day, seconds) {
  const guess = Date.UTC(year, monthIndex, day) + seconds * 1000;
  for (const offsetHours of [1, 2]) {
    const utc = guess - offsetHours * 3600_000;
    const wall = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(new Date(utc));
    const expected = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(new Date(guess));
    if (wall === expected) return new Date(utc);
  }
  return null; // the hour skipped in spring
}

// Hourly weights of a weekday (peaks mid-morning and early afternoon), a Saturday, a Sunday.
const weekday = [1, 1, 1, 1, 1, 1, 2, 5, 14, 22, 20, 16, 9, 10, 17, 16, 13, 10, 7, 5, 4, 3, 2, 1];
const saturday = [1, 1, 1, 1, 1, 1, 1, 2, 5, 12, 12, 9, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1];
const sunday = [1, 1, 1, 1, 1, 1, 1, 1, 2, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1];

const [year, monthNumber] = month.split('-').map(Number);
const days = new Date(Date.UTC(year, monthNumber, 0)).getUTCDate();
const slots = [];
for (let day = 1; day <= days; day++) {
  const dow = new Date(Date.UTC(year, monthNumber - 1, day)).getUTCDay();
  const weights = dow === 0 ? sunday : dow === 6 ? saturday : weekday;
  weights.forEach((w, hour) => slots.push({ day, hour, w }));
}
const total = slots.reduce((sum, s) => sum + s.w, 0);
const pad = (n) => String(n).padStart(2, '0');
const iso = (date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

const calls = [];
for (let i = 0; i < Number(callCount); i++) {
  let r = random() * total, slot = slots[0];
  for (const s of slots) { r -= s.w; if (r <= 0) { slot = s; break; } }
  const start = parisToUtc(year, monthNumber - 1, slot.day, slot.hour * 3600 + Math.floor(random() * 3600));
  if (!start) continue;
  const busy = slot.hour >= 9 && slot.hour <= 11;
  const roll = random();
  const call = { provider: 'pbx', callId: `demo-${month}-${seedText}-${i}`, direction: 'inbound',
    from: `+336${String(10000000 + Math.floor(random() * 89999999))}`, to: number, startedAt: iso(start), agentId: `op-${1 + Math.floor(random() * 6)}` };
  if (roll < (busy ? 0.86 : 0.93)) {
    const pickup = Math.max(1, Math.round(-Math.log(1 - random()) * (busy ? 14 : 8)));
    call.answeredAt = iso(new Date(start.getTime() + pickup * 1000));
    call.endedAt = iso(new Date(start.getTime() + (pickup + 60 + Math.floor(random() * 300)) * 1000));
    call.outcome = 'answered';
  } else if (roll < 0.97) {
    call.endedAt = iso(new Date(start.getTime() + (1 + Math.floor(random() * 60)) * 1000));
    call.outcome = 'abandoned';
  } else {
    call.endedAt = iso(new Date(start.getTime() + 30_000));
    call.outcome = pick(['missed', 'voicemail', 'busy']);
  }
  calls.push(call);
}

async function post(path, body) {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'Authorization': `Bearer ${operatorKey}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status >= 300 && res.status !== 207) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res;
}

for (let i = 0; i < calls.length; i += 1000) {
  await post('/api/calls', calls.slice(i, i + 1000));
}
console.error(`[permanence] ${calls.length} calls of ${month} posted`);

// About one answered call in twenty leaves a message; a few are incomplete (no preferred date).
const answered = calls.filter((c) => c.outcome === 'answered');
let messages = 0;
for (const call of answered) {
  if (random() >= 0.05) continue;
  const scenario = random() < 0.7 ? 'rdv' : 'resultats';
  const fields = scenario === 'rdv' && random() < 0.9 ? { preferredDate: pick(['lundi matin', 'mardi après-midi', 'dès que possible']) } : {};
  const takenAt = iso(new Date(new Date(call.endedAt).getTime() + 20_000));
  await post('/api/messages', { clientId: 'althea', callId: `pbx:${call.callId}`, scenario,
    caller: { name: pick(['Mme Durand', 'M. Petit', 'Mme Leroy', 'M. Moreau']), phone: call.from }, fields,
    text: scenario === 'rdv' ? 'Souhaite un rendez-vous.' : 'Demande ses résultats.', takenAt });
  messages++;
}
console.error(`[permanence] ${messages} messages of ${month} posted`);
console.log(`curl -X POST -H "Authorization: Bearer dev-admin-key-0000000000000000" "${base}/api/admin/jobs/sla-report?client=althea&period=${month}"`);
