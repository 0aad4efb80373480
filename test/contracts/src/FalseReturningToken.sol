// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

/// @title FalseReturningToken
/// @notice An ERC20-shaped token whose transfer and transferFrom return false and do nothing else: no balance
/// moves and no Transfer is logged, yet the transaction succeeds (status 1). Some early tokens reported failure
/// this way instead of reverting; a scanner that reads calldata (`transfer(to, value)`) or trusts status 1
/// would credit a deposit that never happened.
contract FalseReturningToken {
    string public name;
    string public symbol;
    uint8 public immutable decimals;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    /// @notice How many transfer/transferFrom calls were refused. It lets a test prove the refusing code ran in
    /// a successful transaction, and writing it keeps both functions non-view in the ABI, so clients send them
    /// as transactions like any ERC20 transfer.
    uint256 public refusedTransfers;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    constructor(string memory name_, string memory symbol_, uint8 decimals_) {
        name = name_;
        symbol = symbol_;
        decimals = decimals_;
    }

    /// @dev Real, so the sender has a balance that the refused transfer then visibly does not move.
    function mint(address to, uint256 value) external {
        totalSupply += value;
        balanceOf[to] += value;
        emit Transfer(address(0), to, value);
    }

    function approve(address spender, uint256 value) external returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transfer(address, uint256) external returns (bool) {
        refusedTransfers += 1;
        return false;
    }

    function transferFrom(address, address, uint256) external returns (bool) {
        refusedTransfers += 1;
        return false;
    }
}
