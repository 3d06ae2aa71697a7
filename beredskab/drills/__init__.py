"""Call-out drills (kaldeøvelser): everyone in a group is paged with an ØVELSE text and a code,
as a real activation would page them, but no role is filled and nothing is billed. The result
says who answered (when, by SMS or key), who did not, whose number failed, and the share per
group reached within 5, 15 and 30 minutes."""
