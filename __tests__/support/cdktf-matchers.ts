// Registers cdktf's jest matchers (toHaveResource, toHaveResourceWithProperties, …) for the infrastructure tests.
import { Testing } from 'cdktf';
import 'cdktf/lib/testing/adapters/jest';

Testing.setupJest();
