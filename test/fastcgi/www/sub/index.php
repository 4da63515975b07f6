<?php
echo "index " . $_SERVER['SCRIPT_NAME'] . "\n";
