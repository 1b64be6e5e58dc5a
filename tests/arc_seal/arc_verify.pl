#!/usr/bin/perl
# tests/arc_seal/arc_verify.pl — independent ARC chain validation with Mail::DKIM
# (Mail::DKIM::ARC::Verifier, Debian libmail-dkim-perl). DNS answers come from a key file:
# Mail::DKIM::DNS::query is replaced by a lookup in it.
#
# usage: arc_verify.pl KEYS_FILE MESSAGE_FILE
#   KEYS_FILE: one "NAME<TAB>TXT" per line
# Prints every signature's result and one final "cv=pass|fail|none detail" line; exit 0 on pass.
use strict;
use warnings;
use Net::DNS;
use Mail::DKIM::ARC::Verifier;

my ($keys_file, $msg_file) = @ARGV;
my %keys;
open(my $kf, '<', $keys_file) or die "cannot open $keys_file: $!\n";
while (my $line = <$kf>) {
    chomp $line;
    my ($name, $txt) = split(/\t/, $line, 2);
    next unless defined $txt;
    $name = lc $name;
    $name =~ s/\.$//;
    $keys{$name} = $txt;
}
close $kf;

{
    no warnings 'redefine';
    *Mail::DKIM::DNS::query = sub {
        my ($domain, $type) = @_;
        my $name = lc $domain;
        $name =~ s/\.$//;
        return () unless $type eq 'TXT' && exists $keys{$name};
        my $txt = $keys{$name};
        my @chunks = ($txt =~ /(.{1,255})/gs);
        return (Net::DNS::RR->new(name => $name, type => 'TXT', txtdata => [@chunks]));
    };
}

open(my $mf, '<', $msg_file) or die "cannot open $msg_file: $!\n";
binmode $mf;
local $/;
my $msg = <$mf>;
close $mf;
$msg =~ s/\r?\n/\r\n/g;

my $arc = Mail::DKIM::ARC::Verifier->new(Strict => 1);
$arc->PRINT($msg);
$arc->CLOSE;
foreach my $sig ($arc->signatures) {
    printf "%s i=%s d=%s: %s %s\n", ref($sig), ($sig->instance // '?'), ($sig->domain // '?'),
      ($sig->result // '?'), ($sig->result_detail // '');
}
printf "cv=%s %s\n", $arc->result, ($arc->result_detail // '');
exit($arc->result eq 'pass' ? 0 : 1);
