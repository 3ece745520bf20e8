import hnswlib from 'hnswlib-node';
const { HierarchicalNSW } = hnswlib;
const keep = [];
const c0 = process.cpuUsage(); const t = performance.now();
for (let i = 0; i < 100; i++) { const n = new HierarchicalNSW('l2', 4); n.initIndex(4, 16, 200, 1, false); if (i % 2) keep.push(n); }
const c = process.cpuUsage(c0);
console.log('wall', ((performance.now() - t) / 100).toFixed(3), 'cpu user', (c.user/100/1000).toFixed(3), 'sys', (c.system/100/1000).toFixed(3));
