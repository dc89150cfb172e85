// Runs once after all test files (see .taprc): the one Podman service of the run is stopped.
import { tearDownPodman } from './podman.js';

tearDownPodman();
