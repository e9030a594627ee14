#!/usr/bin/env node
import { Command } from 'commander';

const program = new Command('sluice').description(
  'Sluice: SDN platform for Open vSwitch networks and container hosts',
);
program.parse();
