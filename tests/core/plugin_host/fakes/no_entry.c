// SPDX-License-Identifier: Apache-2.0
/* A shared library that is not a skiff plugin: it lacks skiff_plugin_init. */
__attribute__((visibility("default"))) int not_a_plugin(void) { return 42; }
