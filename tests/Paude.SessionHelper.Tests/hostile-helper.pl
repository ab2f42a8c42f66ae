#!/usr/bin/perl
# A hostile session helper: what an agent could put in place of paude-session-helper. It answers hello properly,
# then answers the first request after it with the scenario named by $ARGV[0] (see HostileHelperTests).
use strict; use warnings;
binmode STDIN; binmode STDOUT; $| = 1;
my $scenario = $ARGV[0] // 'silent';

sub read_exact { my ($n) = @_; my $buf = ''; while (length($buf) < $n) { my $r = sysread(STDIN, $buf, $n - length($buf), length($buf)); return undef unless $r; } $buf }
sub read_frame { my $h = read_exact(9) // exit 0; my ($len, $type, $id) = unpack('N C N', $h); my $p = $len > 5 ? read_exact($len - 5) : ''; ($type, $id, $p) }
sub frame { my ($type, $id, $payload) = @_; pack('N C N', length($payload) + 5, $type, $id) . $payload }
sub str { my ($s) = @_; pack('n', length($s)) . $s }
sub entry { my ($kind, $path) = @_; pack('C', $kind) . str($path) . pack('Q> q> N', 5, 0, 0644) }
sub event { my ($path) = @_; pack('C C', 1, 0) . str($path) }

my (undef, $hid) = read_frame();
print frame(0x81, $hid, pack('n', 1) . str('hostile 0') . pack('N', 1 << 20));
my ($type, $id, $payload) = read_frame();

if ($scenario eq 'silent') { sleep 600 }
elsif ($scenario eq 'huge-length') { print pack('N C N', 0xFFFFFFF0, 0x82, $id); sleep 600 }
elsif ($scenario eq 'trickle') { for my $b (split //, frame(0x83, $id, pack('Q> Q>', 0, 0))) { print $b; sleep 1 } }
elsif ($scenario eq 'dotdot') { print frame(0x82, $id, entry(1, '../../etc/passwd')); sleep 600 }
elsif ($scenario eq 'absolute') { print frame(0x82, $id, entry(1, '/etc/passwd')); sleep 600 }
elsif ($scenario eq 'git-dir') { print frame(0x82, $id, entry(1, 'src/.git/hooks/post-checkout')); sleep 600 }
elsif ($scenario eq 'not-asked') { print frame(0x82, $id, entry(1, 'other/file')); sleep 600 }
elsif ($scenario eq 'endless-list') { print frame(0x82, $id, entry(1, "f$_")) for 0 .. 1_000_000; sleep 600 }
elsif ($scenario eq 'endless-read') { my $chunk = 'A' x 65536; print frame(0x84, $id, $chunk) while 1 }
elsif ($scenario eq 'short-read') { print frame(0x84, $id, 'abc'); print frame(0x85, $id, pack('Q> q> N', 1000, 0, 0644) . ("\0" x 16)); sleep 600 }
elsif ($scenario eq 'unknown-id') { print frame(0x86, $id + 1000, ''); sleep 600 }
elsif ($scenario eq 'bad-utf8') { print frame(0x82, $id, pack('C', 1) . pack('n', 2) . "\xff\xfe" . pack('Q> q> N', 5, 0, 0644)); sleep 600 }
elsif ($scenario eq 'string-past-end') { print frame(0x82, $id, pack('C', 1) . pack('n', 4000) . 'ab'); sleep 600 }
elsif ($scenario eq 'event-escape') { print frame(0x8A, $id, pack('N', 1)); print frame(0x87, $id, event('../../outside/x')); sleep 600 }
elsif ($scenario eq 'event-flood') { print frame(0x8A, $id, pack('N', 1)); print frame(0x87, $id, event("f$_")) for 0 .. 50_000; sleep 600 }
elsif ($scenario =~ /^bundle-/) {
  # A fetch (HelperFetch): HEAD is an unknown commit; the bundle that follows lies in the way the scenario names.
  my $sha = 'ab' x 20;
  print frame(0x84, $id, "$sha\n"); print frame(0x89, $id, pack('N C N', 0, 0, 0));
  my (undef, $bid) = read_frame();
  my %body = (
    'bundle-garbage' => "# v2 git bundle\n$sha HEAD\n\nPACK\0\0\0\2\0\0\0\1garbage-not-zlib-at-all",
    'bundle-other-ref' => "# v2 git bundle\n$sha refs/heads/main\n\nPACK",
    'bundle-not-a-bundle' => "\e[31mhello\n\n",
    'bundle-endless-header' => "# v2 git bundle\n" . ("-$sha x\n" x 5000),
  );
  print frame(0x84, $bid, $body{$scenario} // die "unknown scenario $scenario");
  print frame(0x89, $bid, pack('N C N', 0, 0, 0)); sleep 600 }
elsif ($scenario eq 'exit') { exit 0 }
else { die "unknown scenario $scenario" }
