// Runs once before all test files (see .taprc). Shared fixtures are made here.
import { setUpPodman } from './podman.js';

setUpPodman();
