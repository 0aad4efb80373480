// `node packages/launcher/dist/main.js` (bash deploy/local/run.sh): the local cluster in the foreground.
import { runLocalCluster } from './localCluster.js';

await runLocalCluster();
